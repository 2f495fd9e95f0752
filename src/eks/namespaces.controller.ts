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

@ApiTags('eks')
@KubeErrorResponses()
@Controller('v1/namespaces')
export class NamespacesController {
  constructor(private readonly namespaces: NamespacesService) {}

  @Post()
  @ApiOperation({ summary: 'Create a namespace managed by platform-api (Pod Security restricted)' })
  @ApiCreatedResponse({ type: NamespaceViewDto })
  @ApiConflictResponse({ description: 'The namespace already exists' })
  create(@Body() dto: CreateNamespaceDto) {
    return this.namespaces.create(dto.name, dto.labels);
  }

  @Get()
  @ApiOperation({ summary: 'List the namespaces managed by platform-api' })
  @ApiOkResponse({ type: NamespaceListDto })
  async list(): Promise<NamespaceListDto> {
    return { items: await this.namespaces.list() };
  }

  @Get(':ns')
  @ApiOperation({ summary: 'A managed (or allow-listed) namespace' })
  @ApiOkResponse({ type: NamespaceViewDto })
  get(@Param() p: NamespaceParams) {
    return this.namespaces.get(p.ns);
  }

  @Delete(':ns')
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
