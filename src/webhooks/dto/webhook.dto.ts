import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { HasNoControlCharacters, IsOptionalNonNull } from '../../common/validators.js';
import { IsUrlWithScheme } from '../../telegram/stream-url.js';
import {
  WEBHOOK_EVENTS,
  type WebhookDeliveryStatus,
  type WebhookDeliveryView,
  type WebhookEventType,
  type WebhookView,
} from '../../contracts/webhooks.js';

const URL_FIELD = { description: 'Where deliveries are POSTed: http:// or https:// only', example: 'https://hooks.example.com/wave' };
const EVENTS = {
  description: 'The events to receive',
  enum: WEBHOOK_EVENTS,
  isArray: true,
  example: ['track.changed', 'dj.live', 'dj.ended'],
};
const SECRET = {
  description: 'The signing secret (`whsec_` + base64 of at least 24 bytes); generated when not given. Shown in full only in this answer.',
  example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
};
/** Standard Webhooks secrets: `whsec_` and base64 of 24–64 bytes. */
export const WEBHOOK_SECRET_PATTERN = /^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/;

export class CreateWebhookDto {
  @ApiProperty(URL_FIELD)
  @IsUrlWithScheme(['http', 'https'])
  @MaxLength(2048)
  url!: string;

  @ApiProperty(EVENTS)
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(WEBHOOK_EVENTS.length)
  @ArrayUnique()
  @IsIn(WEBHOOK_EVENTS, { each: true })
  events!: WebhookEventType[];

  @ApiPropertyOptional({ description: 'For the operator', maxLength: 200, default: '' })
  @IsOptionalNonNull()
  @IsString()
  @MaxLength(200)
  @HasNoControlCharacters()
  description?: string;

  @ApiPropertyOptional({ default: true })
  @IsOptionalNonNull()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional(SECRET)
  @IsOptionalNonNull()
  @IsString()
  @Matches(WEBHOOK_SECRET_PATTERN, { message: 'secret must be whsec_ followed by the base64 of 24 to 64 bytes' })
  secret?: string;
}

export class UpdateWebhookDto {
  @ApiPropertyOptional(URL_FIELD)
  @IsOptionalNonNull()
  @IsUrlWithScheme(['http', 'https'])
  @MaxLength(2048)
  url?: string;

  @ApiPropertyOptional(EVENTS)
  @IsOptionalNonNull()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(WEBHOOK_EVENTS.length)
  @ArrayUnique()
  @IsIn(WEBHOOK_EVENTS, { each: true })
  events?: WebhookEventType[];

  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptionalNonNull()
  @IsString()
  @MaxLength(200)
  @HasNoControlCharacters()
  description?: string;

  @ApiPropertyOptional()
  @IsOptionalNonNull()
  @IsBoolean()
  enabled?: boolean;
}

export class DeliveriesQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptionalNonNull()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({ enum: ['pending', 'delivered', 'failed'] })
  @IsOptionalNonNull()
  @IsIn(['pending', 'delivered', 'failed'])
  status?: WebhookDeliveryStatus;
}

export class WebhookViewDto implements WebhookView {
  @ApiProperty({ example: 'wh_3f9a1c2b7d' }) id!: string;
  @ApiProperty(URL_FIELD) url!: string;
  @ApiProperty() description!: string;
  @ApiProperty({ enum: [...WEBHOOK_EVENTS, 'ping'], isArray: true }) events!: WebhookEventType[];
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ description: 'Masked, except in the answers of POST /api/webhooks and …/rotate-secret', example: 'whsec_****w0aB' })
  secret!: string;
  @ApiProperty() createdAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class WebhookDeliveryViewDto implements WebhookDeliveryView {
  @ApiProperty({ description: 'Also the `webhook-id` header and the body `id`' }) id!: string;
  @ApiProperty({ enum: [...WEBHOOK_EVENTS, 'ping'] }) type!: WebhookEventType;
  @ApiProperty({ enum: ['pending', 'delivered', 'failed'] }) status!: WebhookDeliveryStatus;
  @ApiProperty() attempts!: number;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ nullable: true, type: String }) lastAttemptAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) nextAttemptAt!: string | null;
  @ApiProperty({ nullable: true, type: Number }) responseStatus!: number | null;
  @ApiProperty({ nullable: true, type: String }) error!: string | null;
  @ApiProperty({ nullable: true, type: String }) deliveredAt!: string | null;
}
