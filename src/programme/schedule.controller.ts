import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../common/error-response.dto.js';
import { CreateScheduleEntryDto, ScheduleDto, ScheduleEntryDto, UpdateScheduleDto, UpdateScheduleEntryDto } from './dto/schedule.dto.js';
import { ScheduleService } from './schedule.service.js';

const RULES =
  'The entry as a whole: its playlist exists (400 `unknown_playlist`), `end` ≠ `start`, `startDate` ≤ `endDate` (400 ' +
  '`invalid_schedule_entry`), and it shares no moment of the week (local wall time; past midnight into the next day, Sunday into ' +
  'Monday; within the date ranges) with an entry of the same priority: 409 `schedule_conflict`, naming both, with ' +
  '`details.conflictingEntryId`. Nothing changes on a refusal.';

@ApiTags('programme')
@Controller('api/schedule')
export class ScheduleController {
  constructor(private readonly schedule: ScheduleService) {}

  @Get()
  @ApiOperation({ summary: "The weekly schedule and the station's time zone its times are in" })
  @ApiOkResponse({ type: ScheduleDto })
  @ApiErrorResponses(503)
  get(): Promise<ScheduleDto> {
    return this.schedule.get();
  }

  @Patch()
  @ApiOperation({
    summary: "Set the station's time zone (IANA, e.g. Europe/Berlin)",
    description: 'Entries keep their local times. An unknown zone is 400 naming `timeZone`.',
  })
  @ApiOkResponse({ type: ScheduleDto })
  @ApiErrorResponses(400)
  setTimeZone(@Body() body: UpdateScheduleDto): Promise<ScheduleDto> {
    return this.schedule.setTimeZone(body.timeZone);
  }

  @Post('entries')
  @ApiOperation({ summary: 'Add an entry: a playlist on these weekdays from `start` to `end`', description: RULES })
  @ApiCreatedResponse({ type: ScheduleEntryDto })
  @ApiErrorResponses(400, 409)
  create(@Body() body: CreateScheduleEntryDto): Promise<ScheduleEntryDto> {
    return this.schedule.create(body);
  }

  @Patch('entries/:id')
  @ApiOperation({ summary: 'Change an entry (any of its fields; `startDate`/`endDate` null clears the bound)', description: RULES })
  @ApiOkResponse({ type: ScheduleEntryDto })
  @ApiErrorResponses(400, 404, 409)
  update(@Param('id') id: string, @Body() body: UpdateScheduleEntryDto): Promise<ScheduleEntryDto> {
    return this.schedule.update(id, body);
  }

  @Delete('entries/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove an entry' })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiErrorResponses(404)
  async remove(@Param('id') id: string): Promise<void> {
    await this.schedule.remove(id);
  }
}
