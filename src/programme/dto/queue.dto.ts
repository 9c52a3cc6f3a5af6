import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsString, MaxLength, Min } from 'class-validator';
import { HasNoControlCharacters, IsOptionalNonNull } from '../../common/validators.js';
import type { QueueEntry } from '../../repositories/queue.repository.js';
import { MAX_ID_LENGTH } from './playlist.dto.js';

/** Requests the queue holds at most. */
export const MAX_QUEUE_LENGTH = 1000;

export class QueueItemDto implements QueueEntry {
  @ApiProperty({ example: '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a' })
  id!: string;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'Its place: 0 plays next', example: 0 })
  position!: number;

  @ApiProperty({ example: '3b0e8f1c-2a4d-4b6e-9f10-7c2d5e8a9b01' })
  trackId!: string;

  @ApiProperty({ example: 'Night Drive' })
  title!: string;

  @ApiProperty({ example: 'Wave Ensemble' })
  artist!: string;

  @ApiProperty({ description: 'Seconds', example: 215.4 })
  duration!: number;

  @ApiProperty({ example: '2026-01-01T20:00:00.000Z' })
  addedAt!: string;
}

export class QueueDto {
  @ApiProperty({ type: [QueueItemDto], description: `The requests in the order they play (at most ${MAX_QUEUE_LENGTH})` })
  items!: QueueItemDto[];
}

export class AddQueueItemDto {
  @ApiProperty({ description: 'A library track', example: '3b0e8f1c-2a4d-4b6e-9f10-7c2d5e8a9b01' })
  @IsString()
  @MaxLength(MAX_ID_LENGTH)
  @HasNoControlCharacters()
  trackId!: string;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    description: 'Its place: 0 plays next; the queue length (or left out) at the end; more than the length is refused',
  })
  @IsOptionalNonNull()
  @IsInt()
  @Min(0)
  position?: number;
}
