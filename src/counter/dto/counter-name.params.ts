import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { NAME_PATTERN, NAME_RULE } from '../counter.rules';

export class CounterNameParams {
  @ApiProperty({ description: 'Counter name', pattern: NAME_PATTERN.source, example: 'page-views' })
  @Matches(NAME_PATTERN, { message: NAME_RULE })
  name!: string;
}
