import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';

export const IS_PUBLIC = 'platform:isPublic';
/** `x-public` lets the OpenAPI post-processing drop the key requirement from these operations. */
export const PUBLIC_EXTENSION = 'x-public';

/** Marks a route or controller as reachable without an API key. */
export const Public = () =>
  applyDecorators(SetMetadata(IS_PUBLIC, true), ApiExtension(PUBLIC_EXTENSION, true));

/** Path prefixes with public routes: an unmatched path under them is a plain 404, never a 401. */
const PUBLIC_PREFIXES = ['/health', '/metrics', '/docs'];

/** Whether `url` is under a public prefix (for requests no route matched, where no metadata exists). */
export const isPublicPath = (url: string): boolean =>
  PUBLIC_PREFIXES.some((p) => url === p || url.startsWith(`${p}/`) || url.startsWith(`${p}?`));
