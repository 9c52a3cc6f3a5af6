import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../common/error-response.dto.js';
import { CreateDestinationDto, DestinationViewDto, UpdateDestinationDto } from './dto/destination.dto.js';
import { DestinationsService } from './destinations.service.js';

const ID = { name: 'id', description: '`telegram` (read-only here) or a generated id', example: 'youtube-1a2b3c' };
const READ_ONLY = ' The Telegram destination (`telegram`) is the Telegram stream config: 409 `telegram_destination`.';

@ApiTags('destinations')
@Controller('api/stream/destinations')
export class DestinationsController {
  constructor(private readonly destinations: DestinationsService) {}

  @Get()
  @ApiOperation({
    summary: 'The simulcast destinations (Telegram first), keys masked, each with its connection',
    description: "The connection is the daemon's last report; `disabled` (with `reason`) while the daemon does not run.",
  })
  @ApiOkResponse({ type: [DestinationViewDto] })
  list(): Promise<DestinationViewDto[]> {
    return this.destinations.list();
  }

  @Post()
  @ApiOperation({
    summary: 'Add a destination',
    description: `At most 16 besides Telegram (409 \`destinations_limit\`); names are unique (409 \`destination_name_taken\`). A running daemon starts pushing to it at once.`,
  })
  @ApiCreatedResponse({ type: DestinationViewDto })
  @ApiErrorResponses(400, 409)
  add(@Body() body: CreateDestinationDto): Promise<DestinationViewDto> {
    return this.destinations.add(body);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One destination' })
  @ApiParam(ID)
  @ApiOkResponse({ type: DestinationViewDto })
  @ApiErrorResponses(404)
  get(@Param('id') id: string): Promise<DestinationViewDto> {
    return this.destinations.get(id);
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Change a destination',
    description: `Only the given fields change; a rejected update changes nothing. A changed URL or key reconnects it.${READ_ONLY}`,
  })
  @ApiParam(ID)
  @ApiOkResponse({ type: DestinationViewDto })
  @ApiErrorResponses(400, 404, 409)
  update(@Param('id') id: string, @Body() body: UpdateDestinationDto): Promise<DestinationViewDto> {
    return this.destinations.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a destination (a running daemon closes its connection)', description: READ_ONLY.trim() })
  @ApiParam(ID)
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrorResponses(404, 409)
  async remove(@Param('id') id: string): Promise<void> {
    await this.destinations.remove(id);
  }

  @Post(':id/enable')
  @HttpCode(200)
  @ApiOperation({ summary: 'Enable a destination (a running daemon starts pushing to it)', description: READ_ONLY.trim() })
  @ApiParam(ID)
  @ApiOkResponse({ type: DestinationViewDto })
  @ApiErrorResponses(404, 409)
  enable(@Param('id') id: string): Promise<DestinationViewDto> {
    return this.destinations.setEnabled(id, true);
  }

  @Post(':id/disable')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Disable a destination (a running daemon closes its connection); it stays stored',
    description: READ_ONLY.trim(),
  })
  @ApiParam(ID)
  @ApiOkResponse({ type: DestinationViewDto })
  @ApiErrorResponses(404, 409)
  disable(@Param('id') id: string): Promise<DestinationViewDto> {
    return this.destinations.setEnabled(id, false);
  }
}
