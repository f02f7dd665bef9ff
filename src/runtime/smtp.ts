/**
 * @module
 * The mail sender of SMTP webhooks, through nodemailer (a kept library; no hand-written SMTP).
 */
import nodemailer from 'nodemailer'
import type { MailSender } from '../notify/smtp.ts'

/** Sends one mail per call over a fresh connection (notifications are rare). */
export const nodemailerSender: MailSender = async (connection, mail, options) => {
  const u = new URL(connection)
  const transport = nodemailer.createTransport({
    host: u.hostname,
    port: Number(u.port) || (u.protocol === 'smtps:' ? 465 : 587),
    secure: u.protocol === 'smtps:',
    auth: u.username
      ? { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) }
      : undefined,
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
  })
  try {
    await transport.sendMail({
      from: mail.from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
    })
  } finally {
    transport.close()
  }
}
