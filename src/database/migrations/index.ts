import type { Migration } from 'kysely';
import * as library from './0001-library.js';
import * as playHistory from './0002-play-history.js';
import { libraryAtScale } from './0003-library-at-scale.js';
import * as programme from './0004-programme.js';
import { sound } from './0005-sound.js';
import * as webhooks from './0006-webhooks.js';

/**
 * Every migration, by name, in the order they apply (Kysely's Migrator sorts by name). Listed here rather than
 * read from a folder, so the same list works from `src` (tests) and `dist` (the built server); a migration whose SQL
 * differs between the two databases is made for the one at hand. A migration is never edited once released: a
 * change is a new file.
 */
export function migrationsFor(dialect: 'sqlite' | 'postgres'): Record<string, Migration> {
  return {
    '0001-library': library,
    '0002-play-history': playHistory,
    '0003-library-at-scale': libraryAtScale(dialect),
    '0004-programme': programme,
    '0005-sound': sound(dialect),
    '0006-webhooks': webhooks,
  };
}
