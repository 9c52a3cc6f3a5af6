// class-transformer's @Type needs the metadata API, also in the daemon, which runs outside Nest.
import 'reflect-metadata';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsISO8601, IsString, Matches, MaxLength, MinLength, ValidateNested } from 'class-validator';
import type { DocumentDefinition } from '../documents/document-store.service.js';
import { INGEST_URL_SCHEMES, IsUrlWithScheme } from './stream-url.js';

/** Most destinations a station may have besides Telegram (each is one RTMP(S) connection from the daemon). */
export const MAX_DESTINATIONS = 16;
/** An id the API made (`[a-z0-9-]`, never `telegram`, which names the Telegram config's channel). */
export const DESTINATION_ID_PATTERN = /^(?!telegram$)[a-z0-9][a-z0-9-]{0,63}$/;

/** One simulcast destination. `streamKey` is a secret: responses, events and logs carry it masked. */
export class StoredDestination {
  @Matches(DESTINATION_ID_PATTERN)
  id!: string;

  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name!: string;

  /** rtmp:// or rtmps:// ingest URL without the key (the daemon publishes to publishUrl(url, streamKey), as for Telegram). */
  @IsUrlWithScheme(INGEST_URL_SCHEMES)
  @MaxLength(2048)
  url!: string;

  @IsString()
  @MaxLength(512)
  streamKey!: string;

  @IsBoolean()
  enabled!: boolean;

  @IsISO8601()
  createdAt!: string;

  @IsISO8601()
  updatedAt!: string;
}

/**
 * `DATA_DIR/stream-destinations.json`: where the station is simulcast besides its Telegram channel. Written by Wave
 * (atomically, mode 0600: it holds keys), read by the Telegram daemon at start and on `reload-destinations`.
 */
export class DestinationsDocument {
  @IsArray()
  @ArrayMaxSize(MAX_DESTINATIONS)
  @ValidateNested({ each: true })
  @Type(() => StoredDestination)
  destinations!: StoredDestination[];
}

export const DESTINATIONS_DOCUMENT: DocumentDefinition<DestinationsDocument> = {
  file: 'stream-destinations.json',
  schema: DestinationsDocument,
  defaults: () => ({ destinations: [] }),
};
