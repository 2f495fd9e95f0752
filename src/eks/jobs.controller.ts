import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import {
  CreateJobDto,
  DeletedDto,
  JobListDto,
  JobLogsDto,
  JobViewDto,
  LogsQueryDto,
} from './dto/job.dto';
import { JobParams, NamespaceParams } from './dto/params.dto';
import { KubeErrorResponses } from './eks.errors.decorator';
import { JobsService } from './jobs.service';
import { Caller } from '../common/auth/caller.decorator';
import type { KeyIdentity } from '../config';
import { NamespaceAt, RequireScope } from '../common/auth/scope.decorator';

@ApiTags('eks')
@KubeErrorResponses()
@Controller('v1/namespaces/:ns/jobs')
export class JobsController {
  constructor(private readonly jobs: JobsService) {}

  @Post()
  @RequireScope('eks:write')
  @NamespaceAt(['params', 'ns'])
  @ApiOperation({
    summary: 'Run a Job built by the server (restricted pod security, bounded resources and time)',
  })
  @ApiCreatedResponse({ type: JobViewDto })
  @ApiConflictResponse({
    description: 'A job with this name exists, or the namespace is being deleted',
  })
  create(
    @Param() p: NamespaceParams,
    @Body() dto: CreateJobDto,
    @Caller() who: KeyIdentity | undefined,
  ) {
    return this.jobs.create(p.ns, dto, who?.id);
  }

  @Get()
  @RequireScope('eks:read')
  @NamespaceAt(['params', 'ns'])
  @ApiOperation({ summary: 'Jobs created by platform-api in this namespace' })
  @ApiOkResponse({ type: JobListDto })
  async list(@Param() p: NamespaceParams): Promise<JobListDto> {
    return { items: await this.jobs.list(p.ns) };
  }

  @Get(':name')
  @RequireScope('eks:read')
  @NamespaceAt(['params', 'ns'])
  @ApiOperation({ summary: 'State of a job: pending, running, succeeded or failed' })
  @ApiOkResponse({ type: JobViewDto })
  get(@Param() p: JobParams) {
    return this.jobs.get(p.ns, p.name);
  }

  @Get(':name/logs')
  @RequireScope('eks:read')
  @NamespaceAt(['params', 'ns'])
  @ApiOperation({ summary: 'Last lines of the logs of the job’s newest pods (bounded)' })
  @ApiOkResponse({ type: JobLogsDto })
  logs(@Param() p: JobParams, @Query() q: LogsQueryDto) {
    return this.jobs.logs(p.ns, p.name, q.tailLines);
  }

  @Delete(':name')
  @RequireScope('eks:write')
  @NamespaceAt(['params', 'ns'])
  @HttpCode(202)
  @ApiOperation({ summary: 'Delete a job and its pods (propagation Background)' })
  @ApiAcceptedResponse({ type: DeletedDto })
  remove(@Param() p: JobParams) {
    return this.jobs.remove(p.ns, p.name);
  }
}
