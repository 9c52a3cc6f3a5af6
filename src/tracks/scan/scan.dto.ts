import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { HasNoControlCharacters } from '../../common/validators.js';
import { SCAN_LISTED_PROBLEMS, type ScanJob, type ScanProblem, type ScanState } from '../../contracts/socket-events.js';

export class ScanFolderDto {
  @ApiProperty({
    description:
      'A folder on the server, imported with every folder in it: absolute, or relative to DATA_DIR/tracks. System folders (/proc, /sys, /dev, /etc, /boot, /run) and `/` are refused.',
    example: '/srv/music',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(4096)
  @HasNoControlCharacters()
  path!: string;
}

export class ScanProblemDto implements ScanProblem {
  @ApiProperty({ description: 'Absolute path of the file (or folder)', example: '/srv/music/notes.txt' })
  file!: string;

  @ApiProperty({ example: 'not audio (ffprobe)' })
  reason!: string;
}

export class ScanJobDto implements ScanJob {
  @ApiProperty({ example: '6d1f0a52-3c4b-4e8a-9b7d-2f5e1c0a9d34' })
  id!: string;

  @ApiProperty({ enum: ['running', 'done', 'failed'], example: 'running' })
  state!: ScanState;

  @ApiProperty({ description: "The folder's real path (links resolved)", example: '/srv/music' })
  path!: string;

  @ApiProperty({
    type: 'integer',
    description: 'Files the walk met so far (and folders it left out: hidden, unreadable); each ends in one of the counts below',
    example: 1200,
  })
  found!: number;

  @ApiProperty({ type: 'integer', description: 'added + updated + unchanged + skipped + failedCount', example: 800 })
  processed!: number;

  @ApiProperty({ type: 'integer', description: 'New audio files, appended to the playlist', example: 640 })
  added!: number;

  @ApiProperty({
    type: 'integer',
    description:
      'Known files whose size or modification time changed: title, artist, album, genre and duration read again (id, labels and position kept)',
    example: 3,
  })
  updated!: number;

  @ApiProperty({ type: 'integer', description: 'Known files with the same size and modification time', example: 120 })
  unchanged!: number;

  @ApiProperty({
    type: 'integer',
    description: 'Left out: hidden (name starting with a dot), not audio (ffprobe), not a regular file, a link to a folder, …',
    example: 35,
  })
  skipped!: number;

  @ApiProperty({ type: 'integer', description: 'Could not be read (permissions, vanished, ffprobe timed out)', example: 2 })
  failedCount!: number;

  @ApiProperty({ example: '2026-01-01T20:00:00.000Z' })
  startedAt!: string;

  @ApiProperty({ type: String, nullable: true, example: null })
  finishedAt!: string | null;

  @ApiProperty({
    type: [ScanProblemDto],
    maxItems: SCAN_LISTED_PROBLEMS,
    description: `The first ${SCAN_LISTED_PROBLEMS} skipped, with why`,
  })
  skippedFiles!: ScanProblemDto[];

  @ApiProperty({
    type: [ScanProblemDto],
    maxItems: SCAN_LISTED_PROBLEMS,
    description: `The first ${SCAN_LISTED_PROBLEMS} that failed, with why`,
  })
  failed!: ScanProblemDto[];

  @ApiProperty({ type: String, nullable: true, description: 'Why the scan as a whole failed (state `failed`)', example: null })
  error!: string | null;
}

export class ScanJobListDto {
  @ApiProperty({ type: [ScanJobDto], description: 'The scans this Wave instance runs or ran in the last hour (the last 20), newest first' })
  jobs!: ScanJobDto[];
}
