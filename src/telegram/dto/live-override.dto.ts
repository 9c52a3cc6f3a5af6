import { ApiProperty } from '@nestjs/swagger';

/** An operator's take or release of a live DJ. */
export class LiveOverrideDto {
  @ApiProperty({ enum: ['take', 'release'], example: 'take' })
  action!: 'take' | 'release';

  @ApiProperty({ description: "The DJ's opaque publisher id (never the stream key)", example: 'p-3f9a1c' })
  publisherId!: string;

  @ApiProperty({ example: '2026-01-01T20:00:00.000Z' })
  at!: string;
}
