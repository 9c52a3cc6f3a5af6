import { Matches, ValidateIf, type ValidationOptions } from 'class-validator';

/**
 * The field may be left out; `null` is a value like any other and meets the field's validators (so it is
 * refused by `@IsString()` and the like). class-validator's `@IsOptional()` skips `null` as well, which let
 * `{"title": null}` through to the stored document, where its schema failed as a 500.
 */
export function IsOptionalNonNull(options?: ValidationOptions): PropertyDecorator {
  return ValidateIf((_object: object, value: unknown) => value !== undefined, options);
}

/** C0 control characters (NUL, tab, newline, escape, …) and DEL. */
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * The string holds no control character. Keys, URLs and paths are handed to ffmpeg, nginx and the file
 * system, which stop at a NUL or read a newline as the end of a directive: a key with one was stored, and
 * the daemon died at its start.
 */
export function HasNoControlCharacters(options?: ValidationOptions): PropertyDecorator {
  return Matches(/^[^\u0000-\u001f\u007f]*$/, {
    message: ({ property }) => `${property} must not contain control characters (NUL, tab, newline, …)`,
    ...options,
  });
}
