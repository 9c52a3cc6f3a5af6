import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../common/error-response.dto.js';
import { CreateWebhookDto, DeliveriesQueryDto, UpdateWebhookDto, WebhookDeliveryViewDto, WebhookViewDto } from './dto/webhook.dto.js';
import { WebhooksService } from './webhooks.service.js';

const ID = { name: 'id', example: 'wh_3f9a1c2b7d' };

@ApiTags('webhooks')
@Controller('api/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get()
  @ApiOperation({ summary: 'The webhooks (secrets masked)' })
  @ApiOkResponse({ type: [WebhookViewDto] })
  list(): Promise<WebhookViewDto[]> {
    return this.webhooks.list();
  }

  @Post()
  @ApiOperation({
    summary: 'Subscribe a URL to station events',
    description:
      'Deliveries are POSTed as JSON and signed as Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>`). The answer carries the secret in full, once.',
  })
  @ApiCreatedResponse({ type: WebhookViewDto })
  @ApiErrorResponses(400, 409)
  create(@Body() body: CreateWebhookDto): Promise<WebhookViewDto> {
    return this.webhooks.create(body);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One webhook' })
  @ApiParam(ID)
  @ApiOkResponse({ type: WebhookViewDto })
  @ApiErrorResponses(404)
  get(@Param('id') id: string): Promise<WebhookViewDto> {
    return this.webhooks.get(id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a webhook (only the given fields)' })
  @ApiParam(ID)
  @ApiOkResponse({ type: WebhookViewDto })
  @ApiErrorResponses(400, 404)
  update(@Param('id') id: string, @Body() body: UpdateWebhookDto): Promise<WebhookViewDto> {
    return this.webhooks.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a webhook and its delivery log' })
  @ApiParam(ID)
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrorResponses(404)
  async remove(@Param('id') id: string): Promise<void> {
    await this.webhooks.remove(id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiOperation({ summary: 'A new signing secret (shown in full in this answer only); later deliveries are signed with it' })
  @ApiParam(ID)
  @ApiOkResponse({ type: WebhookViewDto })
  @ApiErrorResponses(404)
  rotate(@Param('id') id: string): Promise<WebhookViewDto> {
    return this.webhooks.rotateSecret(id);
  }

  @Post(':id/test')
  @HttpCode(202)
  @ApiOperation({ summary: 'Queue a `ping` delivery to this webhook' })
  @ApiParam(ID)
  @ApiOkResponse({ type: WebhookDeliveryViewDto })
  @ApiErrorResponses(404)
  test(@Param('id') id: string): Promise<WebhookDeliveryViewDto> {
    return this.webhooks.test(id);
  }

  @Get(':id/deliveries')
  @ApiOperation({ summary: "The webhook's deliveries, newest first" })
  @ApiParam(ID)
  @ApiOkResponse({ type: [WebhookDeliveryViewDto] })
  @ApiErrorResponses(400, 404)
  deliveries(@Param('id') id: string, @Query() query: DeliveriesQueryDto): Promise<WebhookDeliveryViewDto[]> {
    return this.webhooks.deliveries(id, query.limit ?? 50, query.status);
  }
}
