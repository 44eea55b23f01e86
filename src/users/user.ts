/** A user as the rest of the app sees it. The password hash never leaves the repository layer unasked. */
export interface User {
  id: string;
  email: string;
  name: string | null;
  roles: string[];
  disabled: boolean;
  emailVerified: boolean;
  /** A confirmed authenticator: login asks for a second factor. */
  mfaEnabled: boolean;
  createdAt: number;
}

/** The contract's `User` body: never a password hash. */
export interface PublicUser {
  id: string;
  email: string;
  name: string | null;
  roles: string[];
  emailVerified: boolean;
  mfaEnabled: boolean;
  createdAt: string;
}

export const toPublicUser = (user: User): PublicUser => ({
  id: user.id,
  email: user.email,
  name: user.name,
  roles: user.roles,
  emailVerified: user.emailVerified,
  mfaEnabled: user.mfaEnabled,
  createdAt: new Date(user.createdAt).toISOString(),
});
