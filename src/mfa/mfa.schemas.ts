import { z } from 'zod';
import { canonicalRecoveryCode } from './recovery-codes.ts';
import { TOTP_CODE } from './totp.ts';
import { CurrentPassword, EXAMPLE } from '../http/common-schemas.ts';

/** A 6-digit TOTP code or a recovery code; spaces are dropped (apps show `123 456`). */
const Code = z
  .string()
  .max(64)
  .transform((code) => code.replace(/\s+/g, ''))
  .refine((code) => TOTP_CODE.test(code) || canonicalRecoveryCode(code) !== undefined, {
    message: 'A 6-digit code from the authenticator app, or a recovery code (XXXXX-XXXXX).',
  })
  .meta({ description: 'A 6-digit TOTP code, or a recovery code.', example: '123456' });

const TOTP_SECRET = 'E2I6GYGYUFV4TWFZTF4RX3RU2KQ5ZJNP';

export const CodeBody = z.object({ code: Code }).meta({ id: 'MfaCodeRequest' });

export const StepUpBody = z.object({ currentPassword: CurrentPassword }).meta({ id: 'StepUpRequest' });
export const StepUpCodeBody = z.object({ code: Code, currentPassword: CurrentPassword }).meta({ id: 'MfaStepUpCodeRequest' });

export const MfaVerifyBody = z
  .object({
    mfaToken: z.string().min(1).max(256).meta({ description: 'From the login response.', example: EXAMPLE.opaqueToken }),
    code: Code,
  })
  .meta({ id: 'MfaVerifyRequest' });

export const TotpSetupResponse = z
  .object({
    secret: z.string().meta({ description: 'Base32, for typing into an authenticator app.', example: TOTP_SECRET }),
    otpauthUrl: z.string().meta({
      description: 'otpauth://totp/… (RFC 6238: SHA-1, 6 digits, 30 s), what a QR code carries.',
      example: `otpauth://totp/Tessera:ada%40example.com?issuer=Tessera&secret=${TOTP_SECRET}&algorithm=SHA1&digits=6&period=30`,
    }),
    qrCodeSvg: z.string().meta({
      description: 'otpauthUrl as a QR code, an SVG document to show to the user.',
      example:
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 49 49" shape-rendering="crispEdges"><path fill="#ffffff" d="M0 0h49v49H0z"/><path stroke="#000000" d="M4 4.5h7m2 0h1…"/></svg>',
    }),
  })
  .meta({ id: 'TotpSetupResponse' });

export const RecoveryCodesResponse = z
  .object({
    recoveryCodes: z.array(z.string()).meta({
      description: '10 single-use codes, shown this once: the user should store them offline.',
      example: [
        '7KQ2M-X9DHR',
        'B4TNW-3ZPEA',
        'Q8VJC-M2K7S',
        'H5RYD-9WF3N',
        'ZC6PT-K4M8X',
        'N3XGE-7QB2V',
        'F9MKW-R5T6J',
        'D2HSZ-8YCQP',
        'W7JNB-4XE9K',
        'T6PVR-3MG5Z',
      ],
    }),
  })
  .meta({ id: 'RecoveryCodesResponse' });
