import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';

export const IS_PUBLIC = 'platform:isPublic';
/** `x-public` lets the OpenAPI post-processing drop the key requirement from these operations. */
export const PUBLIC_EXTENSION = 'x-public';

/** Marks a route or controller as reachable without an API key. */
export const Public = () =>
  applyDecorators(SetMetadata(IS_PUBLIC, true), ApiExtension(PUBLIC_EXTENSION, true));
