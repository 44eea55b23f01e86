import { createResourceServer } from './app.ts';

const port = Number(process.env.PORT ?? 4000);
const jwksUrl = process.env.JWKS_URL ?? 'http://localhost:5000/.well-known/jwks.json';

createResourceServer({ jwksUrl }).listen(port, () => {
  console.log(`resource server on http://localhost:${port}, trusting ${jwksUrl}`);
});
