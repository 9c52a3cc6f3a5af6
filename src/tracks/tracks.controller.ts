import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query, Req } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ApiErrorResponses } from '../common/error-response.dto.js';
import {
  AddTrackDto,
  ListTracksQueryDto,
  ReorderTracksDto,
  TrackDto,
  TrackListDto,
  TrackPageDto,
  UpdateTrackDto,
} from './dto/track.dto.js';
import { TracksService } from './tracks.service.js';

@ApiTags('tracks')
@Controller('api/tracks')
export class TracksController {
  constructor(private readonly tracks: TracksService) {}

  @Get()
  @ApiOperation({
    summary: 'The track library, a page at a time (play order by default); search, filter and sort',
    description:
      'Pass `nextCursor` as `cursor`, with the same other parameters, for the next page. A cursor from another query, or not from Wave, is 400 `invalid_cursor`.',
  })
  @ApiOkResponse({ type: TrackPageDto })
  @ApiErrorResponses(400)
  list(@Query() query: ListTracksQueryDto): Promise<TrackPageDto> {
    return this.tracks.list(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One track' })
  @ApiOkResponse({ type: TrackDto })
  @ApiErrorResponses(404)
  get(@Param('id') id: string): Promise<TrackDto> {
    return this.tracks.get(id);
  }

  @Post()
  @ApiOperation({ summary: 'Add an audio file already on the server (checked by ffprobe; title/artist/duration read from it)' })
  @ApiCreatedResponse({ type: TrackDto })
  @ApiErrorResponses(400, 415, 504)
  add(@Body() body: AddTrackDto): Promise<TrackDto> {
    return this.tracks.addByPath(body);
  }

  @Post('upload')
  @ApiOperation({
    summary: 'Upload an audio file (multipart field `file`; optional `title`/`artist` fields before it)',
    description:
      'The content is checked by ffprobe, not by its name: a file without audio is refused (415) and nothing is stored. Size limit: TRACK_UPLOAD_MAX_MB.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['file'],
      properties: { title: { type: 'string' }, artist: { type: 'string' }, file: { type: 'string', format: 'binary' } },
    },
  })
  @ApiCreatedResponse({ type: TrackDto })
  @ApiErrorResponses(400, 413, 415, 504)
  upload(@Req() request: FastifyRequest): Promise<TrackDto> {
    return this.tracks.upload(request);
  }

  @Put('order')
  @ApiOperation({ summary: 'Reorder the playlist: `trackIds` names every track once, in the new order' })
  @ApiOkResponse({ type: TrackListDto })
  @ApiErrorResponses(400, 409)
  async reorder(@Body() body: ReorderTracksDto): Promise<TrackListDto> {
    return { tracks: await this.tracks.reorder(body.trackIds) };
  }

  @Patch(':id')
  @ApiOperation({ summary: "Change a track's title, artist, album, genre or labels (`tags` replaces them)" })
  @ApiOkResponse({ type: TrackDto })
  @ApiErrorResponses(400, 404)
  update(@Param('id') id: string, @Body() body: UpdateTrackDto): Promise<TrackDto> {
    return this.tracks.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a track (an uploaded file is deleted; a playing track plays to its end)' })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiErrorResponses(404)
  async remove(@Param('id') id: string): Promise<void> {
    await this.tracks.remove(id);
  }
}
