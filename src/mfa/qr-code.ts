import QRCode from 'qrcode';

/** `text` as a QR code: a small standalone SVG document a page can show as is (an <img> or inline). */
export const qrCodeSvg = (text: string): Promise<string> => QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
