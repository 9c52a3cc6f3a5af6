import { Body, Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiErrorResponses } from '../../common/error-response.dto.js';
import { LibraryScanService } from './library-scan.service.js';
import { ScanFolderDto, ScanJobDto, ScanJobListDto } from './scan.dto.js';

@ApiTags('tracks')
@Controller('api/tracks/scan')
export class LibraryScanController {
  constructor(private readonly scans: LibraryScanService) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Import a folder on the server, with every folder in it, as a job (follow it by GET or the `scan:progress` socket event)',
    description:
      'Files already in the library with the same path, size and modification time are left as they are; changed ones have their tags read again; ' +
      'new audio files (judged by ffprobe, not by their names) are appended to the playlist. Hidden files and folders are left out, links to folders ' +
      'are not followed. Answers 202 with the new job, or 200 with the running job when this folder is being scanned already.',
  })
  @ApiAcceptedResponse({ type: ScanJobDto, description: 'The scan started' })
  @ApiOkResponse({ type: ScanJobDto, description: 'A scan of this folder was running already: that one' })
  @ApiErrorResponses(400, 409, 503)
  async start(@Body() body: ScanFolderDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<ScanJobDto> {
    const { job, started } = await this.scans.start(body.path);
    if (!started) void reply.status(200);
    return job;
  }

  @Get()
  @ApiOperation({ summary: 'The scans this Wave instance runs or ran recently (the last hour, at most 20 finished), newest first' })
  @ApiOkResponse({ type: ScanJobListDto })
  list(): ScanJobListDto {
    return { jobs: this.scans.list() };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One scan: its state, counts and the first problems' })
  @ApiOkResponse({ type: ScanJobDto })
  @ApiErrorResponses(404)
  get(@Param('id') id: string): ScanJobDto {
    return this.scans.get(id);
  }
}
