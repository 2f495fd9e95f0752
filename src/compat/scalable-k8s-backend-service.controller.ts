import { BadRequestException, Body, Controller, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { IngestService } from '../ingest';
import { isPlainObject } from '../common/primitives/objects';

/** scalable-k8s-backend-service: `POST /process_message`, now queued, stored by the ingest consumer. */
@ApiTags('compat')
@Controller()
export class ScalableK8sBackendServiceController {
  constructor(private readonly ingest: IngestService) {}

  @Post('process_message')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    deprecated: true,
    summary: 'Queue one JSON object (scalable-k8s-backend-service)',
    description:
      'Use POST /v1/ingest/messages. `id` is the stored item id (GET /v1/ingest/messages/:id).',
  })
  @ApiBody({ schema: { type: 'object', additionalProperties: true, example: { hello: 'world' } } })
  @ApiOkResponse({
    schema: {
      type: 'object',
      properties: {
        status: { type: 'string', example: 'success' },
        data: { type: 'object' },
        id: { type: 'string' },
      },
    },
  })
  @ApiBadRequestResponse({ description: 'Body is not a JSON object' })
  @ApiServiceUnavailableResponse({ description: 'SQS did not take the message' })
  async processMessage(@Body() body: unknown) {
    if (!isPlainObject(body)) throw new BadRequestException('Body must be a JSON object');
    const [queued] = await this.ingest.accept([{ payload: body, source: 'process_message' }]);
    return { status: 'success', data: body, id: queued.id };
  }
}
