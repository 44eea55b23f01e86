import { z } from 'zod';
import { canonicalRecoveryCode } from './recovery-codes.ts';
import { TOTP_CODE } from './totp.ts';
import { CurrentPassword } from '../http/common-schemas.ts';

/** A 6-digit TOTP code or a recovery code; spaces are dropped (apps show `123 456`). */
const Code = z
  .string()
  .max(64)
  .transform((code) => code.replace(/\s+/g, ''))
  .refine((code) => TOTP_CODE.test(code) || canonicalRecoveryCode(code) !== undefined, {
    message: 'A 6-digit code from the authenticator app, or a recovery code (XXXXX-XXXXX).',
  })
  .meta({ description: 'A 6-digit TOTP code, or a recovery code.', example: '123456' });

export const CodeBody = z.object({ code: Code }).meta({ id: 'MfaCodeRequest' });

export const StepUpBody = z.object({ currentPassword: CurrentPassword }).meta({ id: 'StepUpRequest' });
export const StepUpCodeBody = z.object({ code: Code, currentPassword: CurrentPassword }).meta({ id: 'MfaStepUpCodeRequest' });

export const MfaVerifyBody = z
  .object({
    mfaToken: z.string().min(1).max(256).meta({ description: 'From the login response.' }),
    code: Code,
  })
  .meta({ id: 'MfaVerifyRequest' });

export const TotpSetupResponse = z
  .object({
    secret: z.string().meta({ description: 'Base32, for typing into an authenticator app.' }),
    otpauthUrl: z.string().meta({ description: 'otpauth://totp/… (RFC 6238: SHA-1, 6 digits, 30 s), what a QR code carries.' }),
    qrCodeSvg: z.string().meta({ description: 'otpauthUrl as a QR code, an SVG document to show to the user.' }),
  })
  .meta({ id: 'TotpSetupResponse' });

export const RecoveryCodesResponse = z
  .object({
    recoveryCodes: z.array(z.string()).meta({ description: '10 single-use codes, shown this once: the user should store them offline.' }),
  })
  .meta({ id: 'RecoveryCodesResponse' });
