import { ApiProperty } from '@nestjs/swagger';
import { TRACK_REASONS, type NowPlaying, type TrackReason, type UpNext } from '../../contracts/socket-events.js';

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

  @ApiProperty({
    enum: TRACK_REASONS,
    nullable: true,
    description:
      "Why it plays: a rotation, an ordered playlist (or the library in its order), a jingle, an hourly station ID, a request; null when the daemon chose it itself while Wave's programme was away",
    example: 'rotation',
  })
  reason!: TrackReason | null;

  @ApiProperty({ type: String, nullable: true, description: 'The playlist it came from (null for a request or the library)' })
  playlistId!: string | null;

  @ApiProperty({ type: () => UpNextDto, nullable: true, description: 'What the programme plays after it (null while nothing is decided)' })
  next!: UpNextDto | null;
}

export class UpNextDto implements UpNext {
  @ApiProperty({ example: '7d1f0c2e-5b3a-4c8d-9e2f-1a0b3c4d5e6f' })
  trackId!: string;

  @ApiProperty({ example: 'Station ID' })
  title!: string;

  @ApiProperty({ example: 'Wave' })
  artist!: string;

  @ApiProperty({ description: 'Seconds', example: 6.2 })
  duration!: number;

  @ApiProperty({ enum: TRACK_REASONS, example: 'jingle' })
  reason!: TrackReason;

  @ApiProperty({ type: String, nullable: true })
  playlistId!: string | null;
}

export class NowPlayingResponseDto {
  @ApiProperty({ type: NowPlayingDto, nullable: true, description: 'Null while the Telegram stream plays no track' })
  nowPlaying!: NowPlayingDto | null;
}
