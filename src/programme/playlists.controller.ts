import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../common/error-response.dto.js';
import {
  AddPlaylistTracksDto,
  CreatePlaylistDto,
  PlaylistDto,
  PlaylistListDto,
  SetPlaylistTracksDto,
  UpdatePlaylistDto,
} from './dto/playlist.dto.js';
import { PlaylistsService } from './playlists.service.js';

@ApiTags('programme')
@Controller('api/playlists')
export class PlaylistsController {
  constructor(private readonly playlists: PlaylistsService) {}

  @Get()
  @ApiOperation({ summary: 'Every playlist with its track count (no track ids: a rotation may hold 50,000)' })
  @ApiOkResponse({ type: PlaylistListDto })
  @ApiErrorResponses(503)
  list(): Promise<PlaylistListDto> {
    return this.playlists.list();
  }

  @Post()
  @ApiOperation({
    summary: 'Create a playlist (without tracks)',
    description:
      'Kind-specific fields: rotation `weight` (1–25, default 1) and `artistSeparation` (0–50, default 0); jingle `everyTracks` (1–100) ' +
      'and/or `everyMinutes` (1–1440), one at least; hourly `minute` (0–59), required. A field of another kind is 400 `invalid_playlist` naming it.',
  })
  @ApiCreatedResponse({ type: PlaylistDto })
  @ApiErrorResponses(400)
  create(@Body() body: CreatePlaylistDto): Promise<PlaylistDto> {
    return this.playlists.create(body);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One playlist with its track ids in order' })
  @ApiOkResponse({ type: PlaylistDto })
  @ApiErrorResponses(404)
  get(@Param('id') id: string): Promise<PlaylistDto> {
    return this.playlists.get(id);
  }

  @Patch(':id')
  @ApiOperation({
    summary: "Change a playlist's name, enabled flag, kind or kind-specific fields",
    description:
      'A new `kind` resets the old kind’s fields; the new kind needs its own (jingle: everyTracks or everyMinutes; hourly: minute).',
  })
  @ApiOkResponse({ type: PlaylistDto })
  @ApiErrorResponses(400, 404)
  update(@Param('id') id: string, @Body() body: UpdatePlaylistDto): Promise<PlaylistDto> {
    return this.playlists.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a playlist, with its schedule entries (its tracks stay in the library)' })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiErrorResponses(404)
  async remove(@Param('id') id: string): Promise<void> {
    await this.playlists.remove(id);
  }

  @Put(':id/tracks')
  @ApiOperation({
    summary: "Replace the playlist's tracks: `trackIds`, each once, in this order",
    description: 'An unknown track id is 400 `unknown_track`, one named twice 400 `duplicate_track`; nothing changes then.',
  })
  @ApiOkResponse({ type: PlaylistDto })
  @ApiErrorResponses(400, 404)
  setTracks(@Param('id') id: string, @Body() body: SetPlaylistTracksDto): Promise<PlaylistDto> {
    return this.playlists.setTracks(id, body.trackIds);
  }

  @Post(':id/tracks')
  @ApiOperation({
    summary: 'Add tracks at `position` (0 first; left out: at the end)',
    description:
      'An unknown track id is 400 `unknown_track`; a track the playlist holds already 409 `track_in_playlist`; a position past the end 400 ' +
      '`invalid_position`. Nothing changes then.',
  })
  @ApiOkResponse({ type: PlaylistDto })
  @ApiErrorResponses(400, 404, 409)
  @HttpCode(200)
  addTracks(@Param('id') id: string, @Body() body: AddPlaylistTracksDto): Promise<PlaylistDto> {
    return this.playlists.addTracks(id, body);
  }

  @Delete(':id/tracks/:trackId')
  @ApiOperation({ summary: 'Take one track out of the playlist (it stays in the library)' })
  @ApiOkResponse({ type: PlaylistDto })
  @ApiErrorResponses(404)
  removeTrack(@Param('id') id: string, @Param('trackId') trackId: string): Promise<PlaylistDto> {
    return this.playlists.removeTrack(id, trackId);
  }
}
