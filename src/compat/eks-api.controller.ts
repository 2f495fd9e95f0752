import { Body, Controller, Delete, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiConflictResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { JobsService, KubeErrorResponses, NamespacesService } from '../eks';
import { Caller } from '../common/auth/caller.decorator';
import type { KeyIdentity } from '../config';
import {
  EksCreateJobDto,
  EksJobQuery,
  EksJobStatusDto,
  EksNamespaceDto,
  EksResultDto,
} from './dto/eks-api.dto';
import { NamespaceAt, RequireScope } from '../common/auth/scope.decorator';

/**
 * The seed EKS jobs/namespaces API (FastAPI): same paths, bodies and success shapes, now behind
 * the API key and the job policy. Like the seed, creating a job in a missing namespace creates it.
 */
@ApiTags('compat')
@KubeErrorResponses()
@Controller('api')
export class EksApiCompatController {
  constructor(
    private readonly jobs: JobsService,
    private readonly namespaces: NamespacesService,
  ) {}

  @Post('eks-create-job')
  @RequireScope('eks:write')
  @NamespaceAt(['body', 'namespace'])
  @HttpCode(200)
  @ApiOperation({
    summary: 'Create a job from a manifest (seed route; use POST /v1/namespaces/:ns/jobs)',
    deprecated: true,
  })
  @ApiOkResponse({ type: EksResultDto })
  @ApiConflictResponse({
    description: 'A job with this name exists in the namespace, or the namespace is being deleted',
  })
  async createJob(
    @Body() dto: EksCreateJobDto,
    @Caller() who: KeyIdentity | undefined,
  ): Promise<EksResultDto> {
    const job = await this.jobs.createFromManifest(dto.namespace, dto.job_manifest, {
      // Creating the missing namespace (seed behaviour) needs the namespaces scope too.
      createNamespace: !who || who.admin || who.scopes.has('eks:namespaces'),
      owner: who?.id,
    });
    return {
      status: 'success',
      message: `Job ${job.name} created`,
      job_name: job.name,
      namespace: job.namespace,
    };
  }

  @Delete('eks-delete-job')
  @RequireScope('eks:write')
  @NamespaceAt(['query', 'namespace'])
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
  @RequireScope('eks:read')
  @NamespaceAt(['query', 'namespace'])
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
  @RequireScope('eks:namespaces')
  @NamespaceAt(['body', 'namespace_name'])
  @HttpCode(200)
  @ApiOperation({
    summary: 'Create a managed namespace (seed route; use POST /v1/namespaces)',
    deprecated: true,
  })
  @ApiOkResponse({ type: EksResultDto })
  @ApiConflictResponse({ description: 'The namespace exists' })
  async createNamespace(@Body() dto: EksNamespaceDto): Promise<EksResultDto> {
    await this.namespaces.create(dto.namespace_name);
    return {
      status: 'success',
      message: `Namespace ${dto.namespace_name} created`,
      namespace_name: dto.namespace_name,
    };
  }

  @Delete('eks-delete-namespace')
  @RequireScope('eks:namespaces')
  @NamespaceAt(['query', 'namespace_name'])
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
