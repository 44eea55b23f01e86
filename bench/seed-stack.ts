/**
 * The tutorial's stack, for comparison: Express 5, express.json(), and a middleware that
 * calls jsonwebtoken's jwt.verify(token, secret) (HS256) on every request. Run by the bench
 * in its own process: PORT and SEED_STACK_SECRET come from the environment.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import jwt from 'jsonwebtoken';

const port = Number(process.env.PORT ?? 3000);
const secret = process.env.SEED_STACK_SECRET ?? 'change-me-change-me-change-me-change-me';

const app = express();
app.use(express.json());

/**
 * As tutorials write it: jwt.verify(token, secret) with the secret as a string. jsonwebtoken 9
 * then tries the string as a public key first (and throws) on every call, which is slow; the
 * `keyObject` variant holds the secret as a KeyObject, the stack at its best, for a fair ratio.
 */
const authenticate = (key: string | KeyObject) => (req: Request, res: Response, next: NextFunction) => {
  const token = req.headers.authorization?.split(' ')[1];
  if (!token) return res.status(401).json({ error: 'No token provided' });
  try {
    res.locals.user = jwt.verify(token, key, { algorithms: ['HS256'] });
    next();
  } catch {
    res.status(401).json({ error: 'Invalid token' });
  }
};

// The tutorial's login, minus the password check: it signs the token the bench then uses.
app.post('/api/login', (_req, res) => {
  const token = jwt.sign({ sub: 'bench-user', roles: ['user'] }, secret, { expiresIn: '15m' });
  res.json({ accessToken: token });
});

app.get('/api/public', (_req, res) => {
  res.json({ message: 'Anyone may read this.' });
});

const protectedHandler = (_req: Request, res: Response) => {
  const user = res.locals.user as { sub: string; roles: string[] };
  res.json({ message: 'You are authenticated.', user: { id: user.sub, roles: user.roles } });
};
app.get('/api/protected', authenticate(secret), protectedHandler);
app.get('/api/protected-keyobject', authenticate(createSecretKey(Buffer.from(secret))), protectedHandler);

app.listen(port, '127.0.0.1', () => console.log(`seed-stack listening on ${port}`));
