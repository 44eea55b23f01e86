import { endpoint, type Endpoint } from '../http/endpoint.ts';
import { MessageResponse, READS_NO_INPUT } from '../http/common-schemas.ts';
import { ProtectedResponse } from './auth.schemas.ts';

/** The contract's example routes: one behind a Bearer token, and the same stack without it (the benchmark's baseline). */
export function demoEndpoints(): Endpoint[] {
  return [
    endpoint({
      method: 'get',
      path: '/api/public',
      operationId: 'public',
      summary: 'No token needed (the same middleware stack as /api/protected, without authentication)',
      access: 'public',
      responses: { 200: { schema: MessageResponse, description: 'Hello' }, no4xx: READS_NO_INPUT },
      handler({ res }) {
        res.json({ message: 'Anyone may read this.' });
      },
    }),
    endpoint({
      method: 'get',
      path: '/api/protected',
      operationId: 'protected',
      summary: 'Any valid access token',
      access: 'bearer',
      responses: { 200: { schema: ProtectedResponse, description: 'Hello' } },
      handler({ auth, res }) {
        res.json({ message: 'You are authenticated.', user: { id: auth.sub, roles: auth.roles } });
      },
    }),
  ];
}
