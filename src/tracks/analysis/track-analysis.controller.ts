import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AnalysisProgressDto } from '../dto/track.dto.js';
import { TrackAnalysisService } from './track-analysis.service.js';

@ApiTags('tracks')
@Controller('api/tracks/analysis')
export class TrackAnalysisController {
  constructor(private readonly analysis: TrackAnalysisService) {}

  @Get()
  @ApiOperation({
    summary: "The loudness analysis' progress: how much of the library is measured at the current silence threshold",
    description:
      'Tracks are measured one at a time (EBU R128 loudness, true peak, the silence at their ends) as they enter the library, and after boot every ' +
      'track not measured yet; a new `silenceThresholdDb` in the Telegram config measures them again. The `analysis:progress` socket event carries the same.',
  })
  @ApiOkResponse({ type: AnalysisProgressDto })
  progress(): Promise<AnalysisProgressDto> {
    return this.analysis.progress();
  }
}
