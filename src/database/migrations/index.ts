import type { Migration } from 'kysely';
import * as library from './0001-library.js';
import * as playHistory from './0002-play-history.js';

/**
 * Every migration, by name, in the order they apply (Kysely's Migrator sorts by name). Listed here rather than
 * read from a folder, so the same list works from `src` (tests) and `dist` (the built server). A migration is
 * never edited once released: a change is a new file.
 */
export const MIGRATIONS: Record<string, Migration> = {
  '0001-library': library,
  '0002-play-history': playHistory,
};
