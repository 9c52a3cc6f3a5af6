import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../common/error-response.dto.js';
import { ListHistoryQueryDto, PlayPageDto } from './dto/history.dto.js';
import { HistoryService } from './history.service.js';

@ApiTags('history')
@Controller('api/history')
export class HistoryController {
  constructor(private readonly history: HistoryService) {}

  @Get()
  @ApiOperation({
    summary: 'What played on the Telegram stream and why (playlist, radio, live), with start and end times, a page at a time',
    description:
      'Newest first (`order=asc` for oldest first); `from`/`to` keep the rows that started in that range, `source` one source. ' +
      'Pass `nextCursor` as `cursor`, with the same other parameters, for the next page; a cursor from another query, or not ' +
      'from Wave, is 400 `invalid_cursor`. A page costs the same at any depth (an index range). There is no total: counting ' +
      'a history of millions of rows is not free, so page until `nextCursor` is null.',
  })
  @ApiOkResponse({ type: PlayPageDto })
  @ApiErrorResponses(400, 503)
  list(@Query() query: ListHistoryQueryDto): Promise<PlayPageDto> {
    return this.history.list(query);
  }
}
