import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../common/error-response.dto.js';
import { AddQueueItemDto, MAX_QUEUE_LENGTH, QueueDto, QueueItemDto } from './dto/queue.dto.js';
import { QueueService } from './queue.service.js';

@ApiTags('programme')
@Controller('api/queue')
export class QueueController {
  constructor(private readonly queue: QueueService) {}

  @Get()
  @ApiOperation({ summary: 'The request queue, in the order it plays (before the schedule)' })
  @ApiOkResponse({ type: QueueDto })
  @ApiErrorResponses(503)
  list(): Promise<QueueDto> {
    return this.queue.list();
  }

  @Post()
  @ApiOperation({
    summary: 'Request a library track: at `position` (0 plays next; left out: last)',
    description:
      `An unknown track is 400 \`unknown_track\`; a position past the end 400 \`invalid_position\`; a queue of ${MAX_QUEUE_LENGTH} ` +
      'requests 409 `queue_full`. Nothing changes then.',
  })
  @ApiCreatedResponse({ type: QueueItemDto })
  @ApiErrorResponses(400, 409)
  add(@Body() body: AddQueueItemDto): Promise<QueueItemDto> {
    return this.queue.add(body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a request' })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiErrorResponses(404)
  async remove(@Param('id') id: string): Promise<void> {
    await this.queue.remove(id);
  }
}
