import { Controller, Get } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from './common/auth/public.decorator';

@ApiTags('meta')
@Public()
@Controller()
export class RootController {
  @Get()
  @ApiOperation({ summary: 'Service name and where the docs are' })
  index() {
    return { name: 'platform-api', docs: '/docs', health: '/health/ready' };
  }
}
