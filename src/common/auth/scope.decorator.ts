import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import type { Scope } from '../../config';

export const REQUIRED_SCOPE = 'platform:requiredScope';
export const NAMESPACE_AT = 'platform:namespaceAt';
/** The OpenAPI extension listing the scopes an operation needs (any one of them, or `admin`). */
export const SCOPES_EXTENSION = 'x-required-scopes';

/**
 * The scope a route needs (a key holding `admin` passes too). Every route that is not @Public()
 * declares one, next to the route; a route without one is refused to every key but `admin`.
 */
export const RequireScope = (scope: Scope) =>
  applyDecorators(SetMetadata(REQUIRED_SCOPE, scope), ApiExtension(SCOPES_EXTENSION, [scope]));

/** Where an eks route finds the namespace it reaches: the first string among these wins. */
export type NamespaceSource = readonly ['params' | 'query' | 'body', string];

/**
 * The namespace this route reaches, checked against the key's `namespaces` before the handler
 * runs (403 outside them). Read from the raw request; validation still runs after.
 */
export const NamespaceAt = (...sources: NamespaceSource[]) => SetMetadata(NAMESPACE_AT, sources);
