import { ApiProperty } from '@nestjs/swagger';
import type { NowPlaying } from '../../contracts/socket-events.js';

/** Now playing, for the API document: the one type (src/contracts), wherever an answer carries it. */
export class NowPlayingDto implements NowPlaying {
  @ApiProperty({ example: '3b0e8f1c-2a4d-4b6e-9f10-7c2d5e8a9b01' })
  trackId!: string;

  @ApiProperty({ example: 'Night Drive' })
  title!: string;

  @ApiProperty({ example: 'Wave Ensemble' })
  artist!: string;

  @ApiProperty({ type: Number, nullable: true, description: 'Seconds; null when the track has left the library', example: 215.4 })
  duration!: number | null;

  @ApiProperty({ description: "When the track's first audio reached the ingest", example: '2026-01-01T20:00:00.000Z' })
  startedAt!: string;
}

export class NowPlayingResponseDto {
  @ApiProperty({ type: NowPlayingDto, nullable: true, description: 'Null while the Telegram stream plays no track' })
  nowPlaying!: NowPlayingDto | null;
}
