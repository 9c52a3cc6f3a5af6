import { ApiProperty, OmitType, PartialType } from '@nestjs/swagger';
import { RtmpConfigDocument } from '../rtmp-config.document.js';

/**
 * PUT body: any subset of the settings (a partial update; omitted fields keep their values).
 * `streamKeys`, when given, replaces the whole list. A field given as `null` is checked like any value (400).
 */
export class UpdateRtmpConfigDto extends PartialType(RtmpConfigDocument, { skipNullProperties: false }) {}

/** The RTMP ingest's settings with every stream key masked. */
export class RtmpConfigResponseDto extends OmitType(RtmpConfigDocument, ['streamKeys'] as const) {
  @ApiProperty({ type: [String], example: ['****2d9f'], description: 'Configured stream keys, masked' })
  streamKeys!: string[];
}
