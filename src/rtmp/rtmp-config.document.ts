import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayUnique, IsArray, IsBoolean, IsInt, Matches, Max, MaxLength, Min } from 'class-validator';
import type { DocumentDefinition } from '../documents/document-store.service.js';

export const STREAM_KEY_PATTERN = /^[A-Za-z0-9_-]{8,128}$/;
export const APPLICATION_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const CONTAINER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
/** A Docker image reference: [registry/]name[:tag][@digest], lower-case path components. */
export const IMAGE_PATTERN =
  /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;
export const MAX_STREAM_KEYS = 100;

/**
 * `DATA_DIR/streaming-config.json`: the RTMP ingest (nginx-rtmp in a Docker container). Stream keys
 * are secrets: responses, events and logs only ever carry them masked.
 */
export class RtmpConfigDocument {
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 65535, example: 1935, description: 'RTMP port DJs publish to (host and container)' })
  @IsInt()
  @Min(1)
  @Max(65535)
  rtmpPort!: number;

  @ApiProperty({
    example: 'live',
    pattern: APPLICATION_PATTERN.source,
    description: 'nginx-rtmp application: rtmp://host:port/<application>/<key>',
  })
  @Matches(APPLICATION_PATTERN, { message: 'application must be 1-64 letters, digits, _ or -' })
  application!: string;

  @ApiProperty({
    type: [String],
    example: ['dj-anna-7f3c9a1b2d'],
    maxItems: MAX_STREAM_KEYS,
    description: 'Keys allowed to publish (8-128 letters, digits, _ or -). Responses show them masked.',
  })
  @IsArray()
  @ArrayMaxSize(MAX_STREAM_KEYS)
  @ArrayUnique()
  @Matches(STREAM_KEY_PATTERN, { each: true, message: 'each of streamKeys must be 8-128 letters, digits, _ or -' })
  streamKeys!: string[];

  @ApiProperty({
    example: false,
    description:
      'Also serve the stream as HLS on the HTTP port (/hls/<publisherId>.m3u8: nginx knows a stream by its publisherId, never its key)',
  })
  @IsBoolean()
  hlsEnabled!: boolean;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: 60, example: 3, description: 'HLS fragment length in seconds' })
  @IsInt()
  @Min(1)
  @Max(60)
  hlsFragmentSeconds!: number;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: 10000, example: 100, description: 'Most simultaneous RTMP connections' })
  @IsInt()
  @Min(1)
  @Max(10000)
  maxConnections!: number;

  @ApiProperty({
    type: 'integer',
    minimum: 1,
    maximum: 65535,
    example: 8080,
    description: 'HTTP port for /stat and HLS (published on 127.0.0.1 only)',
  })
  @IsInt()
  @Min(1)
  @Max(65535)
  httpPort!: number;

  @ApiProperty({ example: 'wave-rtmp', pattern: CONTAINER_NAME_PATTERN.source })
  @Matches(CONTAINER_NAME_PATTERN, { message: 'containerName must be a Docker container name ([A-Za-z0-9][A-Za-z0-9_.-]{0,62})' })
  containerName!: string;

  @ApiProperty({ example: 'wave/rtmp:latest', description: 'nginx-rtmp image (`npm run rtmp:image` builds it)' })
  @MaxLength(512)
  @Matches(IMAGE_PATTERN, { message: 'image must be a Docker image reference such as wave/rtmp:latest' })
  image!: string;
}

export const RTMP_CONFIG_DOCUMENT: DocumentDefinition<RtmpConfigDocument> = {
  file: 'streaming-config.json',
  schema: RtmpConfigDocument,
  defaults: () => ({
    rtmpPort: 1935,
    application: 'live',
    streamKeys: [],
    hlsEnabled: false,
    hlsFragmentSeconds: 3,
    maxConnections: 100,
    httpPort: 8080,
    containerName: 'wave-rtmp',
    image: 'wave/rtmp:latest',
  }),
};
