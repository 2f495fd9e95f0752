import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CreateNamespaceDto, NamespaceListDto, NamespaceViewDto } from './dto/namespace.dto';
import { NamespaceParams } from './dto/params.dto';
import { KubeErrorResponses } from './eks.errors.decorator';
import { NamespacesService } from './namespaces.service';
import { Caller } from '../common/auth/caller.decorator';
import { namespaceAllowed, type KeyIdentity } from '../config';
import { NamespaceAt, RequireScope } from '../common/auth/scope.decorator';

@ApiTags('eks')
@KubeErrorResponses()
@Controller('v1/namespaces')
export class NamespacesController {
  constructor(private readonly namespaces: NamespacesService) {}

  @Post()
  @RequireScope('eks:namespaces')
  @NamespaceAt(['body', 'name'])
  @ApiOperation({ summary: 'Create a namespace managed by platform-api (Pod Security restricted)' })
  @ApiCreatedResponse({ type: NamespaceViewDto })
  @ApiConflictResponse({ description: 'The namespace already exists' })
  create(@Body() dto: CreateNamespaceDto) {
    return this.namespaces.create(dto.name, dto.labels);
  }

  @Get()
  @RequireScope('eks:read')
  @ApiOperation({
    summary: 'List the namespaces managed by platform-api',
    description: 'A key limited to some namespaces (`namespaces` in the key file) sees only those.',
  })
  @ApiOkResponse({ type: NamespaceListDto })
  async list(@Caller() who: KeyIdentity | undefined): Promise<NamespaceListDto> {
    const items = await this.namespaces.list();
    const rule = who?.namespaces;
    // A key limited to some namespaces sees only those.
    return { items: rule ? items.filter((n) => namespaceAllowed(rule, n.name)) : items };
  }

  @Get(':ns')
  @RequireScope('eks:read')
  @NamespaceAt(['params', 'ns'])
  @ApiOperation({ summary: 'A managed (or allow-listed) namespace' })
  @ApiOkResponse({ type: NamespaceViewDto })
  get(@Param() p: NamespaceParams) {
    return this.namespaces.get(p.ns);
  }

  @Delete(':ns')
  @RequireScope('eks:namespaces')
  @NamespaceAt(['params', 'ns'])
  @HttpCode(202)
  @ApiOperation({ summary: 'Delete a managed namespace (everything in it goes too)' })
  @ApiAcceptedResponse({
    type: NamespaceViewDto,
    description: 'Deletion started (phase Terminating)',
  })
  remove(@Param() p: NamespaceParams) {
    return this.namespaces.remove(p.ns);
  }
}
