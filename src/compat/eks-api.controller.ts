import { Body, Controller, Delete, Get, HttpCode, Post, Query, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { JobsService, KubeErrorResponses, KubernetesEnabledGuard, NamespacesService } from '../eks';
import {
  EksCreateJobDto,
  EksJobQuery,
  EksJobStatusDto,
  EksNamespaceDto,
  EksResultDto,
} from './dto/eks-api.dto';

/**
 * The seed EKS jobs/namespaces API (FastAPI): same paths, bodies and success shapes, now behind
 * the API key and the job policy. Like the seed, creating a job in a missing namespace creates it.
 */
@ApiTags('compat')
@UseGuards(KubernetesEnabledGuard)
@KubeErrorResponses()
@Controller('api')
export class EksApiCompatController {
  constructor(
    private readonly jobs: JobsService,
    private readonly namespaces: NamespacesService,
  ) {}

  @Post('eks-create-job')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Create a job from a manifest (seed route; use POST /v1/namespaces/:ns/jobs)',
    deprecated: true,
  })
  @ApiOkResponse({ type: EksResultDto })
  async createJob(@Body() dto: EksCreateJobDto): Promise<EksResultDto> {
    const job = await this.jobs.createFromManifest(dto.namespace, dto.job_manifest, {
      createNamespace: true,
    });
    return {
      status: 'success',
      message: `Job ${job.name} created`,
      job_name: job.name,
      namespace: job.namespace,
    };
  }

  @Delete('eks-delete-job')
  @ApiOperation({
    summary: 'Delete a job (seed route; use DELETE /v1/namespaces/:ns/jobs/:name)',
    deprecated: true,
  })
  @ApiOkResponse({ type: EksResultDto })
  async deleteJob(@Query() q: EksJobQuery): Promise<EksResultDto> {
    await this.jobs.remove(q.namespace, q.job_name);
    return {
      status: 'success',
      message: `Job ${q.job_name} deleted`,
      job_name: q.job_name,
      namespace: q.namespace,
    };
  }

  @Get('eks-get-job-status')
  @ApiOperation({
    summary: 'Status of a job (seed route; use GET /v1/namespaces/:ns/jobs/:name)',
    deprecated: true,
  })
  @ApiOkResponse({ type: EksJobStatusDto })
  async jobStatus(@Query() q: EksJobQuery): Promise<EksJobStatusDto> {
    const j = await this.jobs.get(q.namespace, q.job_name);
    return {
      job_name: j.name,
      namespace: j.namespace,
      state: j.state,
      active: j.active,
      succeeded: j.succeeded,
      failed: j.failed,
      start_time: j.startTime,
      completion_time: j.completionTime,
    };
  }

  @Post('eks-create-namespace')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Create a managed namespace (seed route; use POST /v1/namespaces)',
    deprecated: true,
  })
  @ApiOkResponse({ type: EksResultDto })
  async createNamespace(@Body() dto: EksNamespaceDto): Promise<EksResultDto> {
    await this.namespaces.create(dto.namespace_name);
    return {
      status: 'success',
      message: `Namespace ${dto.namespace_name} created`,
      namespace_name: dto.namespace_name,
    };
  }

  @Delete('eks-delete-namespace')
  @ApiOperation({
    summary: 'Delete a managed namespace (seed route; use DELETE /v1/namespaces/:ns)',
    deprecated: true,
  })
  @ApiOkResponse({ type: EksResultDto })
  async deleteNamespace(@Query() q: EksNamespaceDto): Promise<EksResultDto> {
    await this.namespaces.remove(q.namespace_name);
    return {
      status: 'success',
      message: `Namespace ${q.namespace_name} deleted`,
      namespace_name: q.namespace_name,
    };
  }
}
