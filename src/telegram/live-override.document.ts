import { IsIn, IsInt, IsISO8601, IsString, MaxLength, ValidateIf } from 'class-validator';
import type { DocumentDefinition } from '../documents/document-store.service.js';

/**
 * `DATA_DIR/telegram-live-override.json`: the operator's take or release of a live DJ (POST /api/stream/live/take,
 * /release). Stored, not held in memory, so a Wave restarted mid-show keeps a released DJ off the air. It names one
 * publishing session (nginx-rtmp's client id) and holds while /stat lists that session (see overrideInForce).
 */
export class LiveOverrideDocument {
  @IsIn(['none', 'take', 'release'])
  action!: 'none' | 'take' | 'release';

  /** The DJ's opaque publisher id (never the key); '' with `none`. */
  @IsString()
  @MaxLength(128)
  publisherId!: string;

  @ValidateIf((o: LiveOverrideDocument) => o.clientId !== null)
  @IsInt()
  clientId!: number | null;

  @ValidateIf((o: LiveOverrideDocument) => o.at !== null)
  @IsISO8601()
  at!: string | null;
}

export const LIVE_OVERRIDE_DOCUMENT: DocumentDefinition<LiveOverrideDocument> = {
  file: 'telegram-live-override.json',
  schema: LiveOverrideDocument,
  defaults: () => ({ action: 'none', publisherId: '', clientId: null, at: null }),
};
