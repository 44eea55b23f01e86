/** One message: every mail has a plain-text part (the contract) and an HTML part. */
export interface Mail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/** Where mails go: an SMTP server, or `.eml` files in the outbox. */
export interface MailTransport {
  send(mail: Mail): Promise<void>;
  /** For the start-up line: "smtp://host:port" or the outbox folder (never a password). */
  describe(): string;
  close(): void;
}
