/** The authentication stacks bench/resource-server.ts can put in front of `GET /r` (RS_STACK). */
export const STACKS = ['bare', 'requireAuth', 'express-jwt', 'express-oauth2-jwt-bearer', 'passport-jwt'] as const;
export type Stack = (typeof STACKS)[number];
