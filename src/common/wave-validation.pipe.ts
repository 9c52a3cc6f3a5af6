import { ArgumentMetadata, Injectable, ValidationPipe } from '@nestjs/common';
import { WaveError } from './wave-error.js';

/**
 * Nest's ValidationPipe, refusing a body that is not a JSON object where a DTO is expected. The pipe
 * validates a primitive against an empty stand-in and then hands the primitive itself to the handler, so
 * `"hello"` (or a text/plain body) passed every all-optional DTO, and a service spreading it into a stored
 * document would have kept its characters as fields. No body at all is still an empty one.
 */
@Injectable()
export class WaveValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && metadata.metatype && this.toValidate(metadata) && value !== undefined) {
      if (value === null || typeof value !== 'object' || Array.isArray(value) || Buffer.isBuffer(value)) {
        const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
        throw new WaveError(400, 'body_not_object', `the body must be a JSON object, not ${got}`);
      }
    }
    return super.transform(value, metadata);
  }
}
