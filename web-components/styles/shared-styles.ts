/**
 * @module
 * Design tokens (document level, light and dark) and the shared component styles: buttons, form
 * fields, tables, badges, cards, progress bars and state blocks.
 */
import { css } from 'lit'

/** Adopted by the document: colour tokens for both themes and the page base. */
export const rootStyles = css`
  :root {
    --crs-font: system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'PingFang SC',
      'Microsoft YaHei', sans-serif;
    --crs-mono: ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace;
    --crs-radius: 8px;
    --crs-bg: #f5f7fa;
    --crs-surface: #ffffff;
    --crs-surface-2: #f0f3f7;
    --crs-border: #d5dbe3;
    --crs-text: #1b2330;
    --crs-text-muted: #566170;
    --crs-primary: #0b5cd5;
    --crs-primary-hover: #094bb0;
    --crs-on-primary: #ffffff;
    --crs-focus: #0b5cd5;
    --crs-danger: #c62828;
    --crs-danger-bg: #fdecec;
    --crs-warning: #9a5b00;
    --crs-warning-bg: #fff4e0;
    --crs-success: #1b7a3a;
    --crs-success-bg: #e6f5ec;
    --crs-info-bg: #e8f0fd;
    --crs-shadow: 0 1px 2px rgb(16 24 40 / 6%), 0 1px 3px rgb(16 24 40 / 10%);
    --crs-overlay: rgb(15 20 30 / 45%);
    --crs-code-key: #0b5cd5;
    --crs-code-string: #1b7a3a;
    --crs-code-number: #a34400;
    --crs-code-literal: #8a2bb8;
    --crs-chart-1: #2f6fe0;
    --crs-chart-2: #e0572f;
    --crs-chart-3: #1f9d6b;
    --crs-chart-4: #a855f7;
    --crs-chart-5: #d4a017;
    color-scheme: light;
  }
  :root[data-theme='dark'] {
    --crs-bg: #0e1116;
    --crs-surface: #161b22;
    --crs-surface-2: #1f2630;
    --crs-border: #333c48;
    --crs-text: #e6edf3;
    --crs-text-muted: #a0aab6;
    --crs-primary: #4493f8;
    --crs-primary-hover: #6aa9fa;
    --crs-on-primary: #0b1220;
    --crs-focus: #6aa9fa;
    --crs-danger: #ff7b72;
    --crs-danger-bg: #3a1d1d;
    --crs-warning: #e3b341;
    --crs-warning-bg: #352a12;
    --crs-success: #56d364;
    --crs-success-bg: #13301c;
    --crs-info-bg: #15253d;
    --crs-shadow: 0 1px 3px rgb(0 0 0 / 40%);
    --crs-overlay: rgb(0 0 0 / 60%);
    --crs-code-key: #79c0ff;
    --crs-code-string: #7ee787;
    --crs-code-number: #ffa657;
    --crs-code-literal: #d2a8ff;
    --crs-chart-1: #4f8ff7;
    --crs-chart-2: #f0794f;
    --crs-chart-3: #3fbf8a;
    --crs-chart-4: #c084fc;
    --crs-chart-5: #e8b931;
    color-scheme: dark;
  }
  html,
  body {
    margin: 0;
    background: var(--crs-bg);
    color: var(--crs-text);
    font-family: var(--crs-font);
    font-size: 14px;
    line-height: 1.5;
    -webkit-text-size-adjust: 100%;
  }
`

/** Included in every component's static styles. */
export const sharedStyles = css`
  :host {
    box-sizing: border-box;
  }
  *,
  *::before,
  *::after {
    box-sizing: inherit;
  }
  [hidden] {
    display: none !important;
  }
  h1,
  h2,
  h3 {
    margin: 0;
    line-height: 1.25;
  }
  h1 {
    font-size: 22px;
    font-weight: 650;
  }
  h2 {
    font-size: 16px;
    font-weight: 650;
  }
  h3 {
    font-size: 14px;
    font-weight: 650;
  }
  a {
    color: var(--crs-primary);
  }
  code,
  .mono {
    font-family: var(--crs-mono);
    font-size: 12.5px;
  }
  .muted {
    color: var(--crs-text-muted);
  }
  .small {
    font-size: 12px;
  }
  .nowrap {
    white-space: nowrap;
  }
  .narrow-only {
    display: none !important;
  }
  @media (max-width: 720px) {
    .narrow-only {
      display: inline-flex !important;
    }
  }
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    padding: 0;
    margin: -1px;
    overflow: hidden;
    clip: rect(0, 0, 0, 0);
    white-space: nowrap;
    border: 0;
  }
  .icon {
    flex: none;
    vertical-align: -3px;
  }
  :focus-visible {
    outline: 2px solid var(--crs-focus);
    outline-offset: 2px;
  }

  /* Layout */
  .page-head {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 12px;
    justify-content: space-between;
    margin-bottom: 16px;
  }
  .row {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 8px;
  }
  .grow {
    flex: 1 1 auto;
  }
  .stack {
    display: flex;
    flex-direction: column;
    gap: 12px;
  }
  .grid-cards {
    display: grid;
    grid-template-columns: repeat(auto-fill, minmax(150px, 1fr));
    gap: 12px;
  }
  .grid-2 {
    display: grid;
    grid-template-columns: repeat(auto-fit, minmax(min(100%, 420px), 1fr));
    gap: 16px;
  }
  .card {
    background: var(--crs-surface);
    border: 1px solid var(--crs-border);
    border-radius: var(--crs-radius);
    box-shadow: var(--crs-shadow);
    padding: 16px;
    min-width: 0;
  }
  .card > h2 {
    margin-bottom: 12px;
  }
  .stat-label {
    color: var(--crs-text-muted);
    font-size: 12.5px;
  }
  .stat-value {
    font-size: 22px;
    font-weight: 650;
    font-variant-numeric: tabular-nums;
    margin: 2px 0;
  }
  .toolbar {
    display: flex;
    flex-wrap: wrap;
    align-items: flex-end;
    gap: 10px;
    margin-bottom: 12px;
  }

  /* Buttons */
  .btn {
    position: relative;
    display: inline-flex;
    align-items: center;
    justify-content: center;
    gap: 6px;
    min-height: 34px;
    padding: 6px 12px;
    border: 1px solid var(--crs-border);
    border-radius: 6px;
    background: var(--crs-surface);
    color: var(--crs-text);
    font: inherit;
    font-weight: 550;
    cursor: pointer;
    white-space: nowrap;
    text-decoration: none;
  }
  .btn:hover:not(:disabled) {
    background: var(--crs-surface-2);
  }
  .btn:disabled {
    opacity: 0.55;
    cursor: not-allowed;
  }
  .btn.primary {
    background: var(--crs-primary);
    border-color: var(--crs-primary);
    color: var(--crs-on-primary);
  }
  .btn.primary:hover:not(:disabled) {
    background: var(--crs-primary-hover);
  }
  .btn.danger {
    color: var(--crs-danger);
    border-color: color-mix(in srgb, var(--crs-danger) 45%, var(--crs-border));
  }
  .btn.danger.solid {
    background: var(--crs-danger);
    color: #fff;
  }
  :host-context([data-theme='dark']) .btn.danger.solid {
    color: #1a0b0b;
  }
  .btn.small {
    min-height: 28px;
    padding: 3px 8px;
    font-size: 12.5px;
  }
  .btn.ghost {
    border-color: transparent;
    background: transparent;
  }
  .btn.icon-only {
    padding: 6px;
    min-width: 34px;
  }
  .btn-group {
    display: inline-flex;
  }
  .btn-group .btn {
    border-radius: 0;
  }
  .btn-group .btn:first-child {
    border-radius: 6px 0 0 6px;
  }
  .btn-group .btn:last-child {
    border-radius: 0 6px 6px 0;
  }
  .btn-group .btn + .btn {
    margin-left: -1px;
  }
  .btn-group .btn[aria-pressed='true'] {
    background: var(--crs-info-bg);
    color: var(--crs-primary);
    border-color: var(--crs-primary);
    position: relative;
  }

  /* Form fields */
  .field {
    display: flex;
    flex-direction: column;
    gap: 4px;
    min-width: 0;
  }
  .field > span:first-child,
  .field > label {
    font-size: 12.5px;
    color: var(--crs-text-muted);
    font-weight: 550;
  }
  .hint {
    font-size: 12px;
    color: var(--crs-text-muted);
  }
  input:not([type='checkbox']):not([type='radio']),
  select,
  textarea {
    font: inherit;
    color: var(--crs-text);
    background: var(--crs-surface);
    border: 1px solid var(--crs-border);
    border-radius: 6px;
    padding: 6px 9px;
    min-height: 34px;
    min-width: 0;
    width: 100%;
  }
  textarea {
    font-family: var(--crs-mono);
    font-size: 12.5px;
    resize: vertical;
  }
  input[aria-invalid='true'],
  select[aria-invalid='true'],
  textarea[aria-invalid='true'] {
    border-color: var(--crs-danger);
  }
  input[type='checkbox'],
  input[type='radio'] {
    width: 16px;
    height: 16px;
    accent-color: var(--crs-primary);
    margin: 0;
  }
  .check {
    display: inline-flex;
    align-items: center;
    gap: 8px;
    cursor: pointer;
  }
  .field-error,
  .field > .field-error {
    color: var(--crs-danger);
    font-size: 12.5px;
  }
  .form-grid {
    display: grid;
    grid-template-columns: repeat(auto-fill, minmax(min(100%, 200px), 1fr));
    gap: 12px;
  }
  fieldset {
    border: 1px solid var(--crs-border);
    border-radius: var(--crs-radius);
    padding: 12px;
    margin: 0;
    min-width: 0;
  }
  legend {
    padding: 0 6px;
    font-weight: 650;
  }

  /* Tables */
  .table-wrap {
    overflow-x: auto;
    border: 1px solid var(--crs-border);
    border-radius: var(--crs-radius);
    background: var(--crs-surface);
  }
  table {
    width: 100%;
    border-collapse: collapse;
    font-variant-numeric: tabular-nums;
  }
  th,
  td {
    text-align: left;
    padding: 8px 10px;
    border-bottom: 1px solid var(--crs-border);
    vertical-align: middle;
  }
  th {
    font-size: 12.5px;
    color: var(--crs-text-muted);
    font-weight: 600;
    background: var(--crs-surface-2);
    white-space: nowrap;
  }
  tbody tr:last-child td {
    border-bottom: 0;
  }
  td.num,
  th.num {
    text-align: right;
  }
  /* A one-line name cell: the name (ellipsis when long), then badges. */
  .namecell {
    display: flex;
    align-items: center;
    gap: 6px;
    max-width: 240px;
    overflow: hidden;
  }
  .namecell .name {
    font-weight: 600;
    overflow: hidden;
    text-overflow: ellipsis;
  }
  @media (max-width: 720px) {
    .namecell {
      max-width: 140px;
    }
    .date-part {
      display: none;
    }
  }
  .clip {
    display: inline-block;
    max-width: 140px;
    overflow: hidden;
    text-overflow: ellipsis;
    vertical-align: bottom;
  }
  /* crs-data-table (rendered without a shadow root, inside the page that holds it) */
  crs-data-table {
    display: block;
  }
  crs-data-table th button {
    all: unset;
    cursor: pointer;
    display: inline-flex;
    gap: 4px;
    align-items: center;
  }
  crs-data-table th button:focus-visible {
    outline: 2px solid var(--crs-focus);
    outline-offset: 2px;
  }
  crs-data-table tr.activatable {
    cursor: pointer;
  }
  crs-data-table tr.activatable:hover td,
  crs-data-table tr.activatable:focus-visible td {
    background: var(--crs-surface-2);
  }
  crs-data-table tr:focus-visible {
    outline: 2px solid var(--crs-focus);
    outline-offset: -2px;
  }
  crs-data-table .sel {
    width: 36px;
  }
  crs-data-table .arrow {
    font-size: 10px;
  }
  crs-data-table .overlay {
    opacity: 0.55;
  }
  crs-data-table table.nowrap td {
    white-space: nowrap;
  }
  @media (max-width: 1500px) {
    crs-data-table .xl {
      display: none;
    }
  }
  @media (max-width: 720px) {
    crs-data-table .wide,
    crs-data-table .sel {
      display: none;
    }
    crs-data-table th,
    crs-data-table td {
      padding: 7px 8px;
    }
  }

  /* Badges and bars */
  .badge {
    display: inline-flex;
    align-items: center;
    gap: 4px;
    padding: 1px 8px;
    border-radius: 999px;
    font-size: 12px;
    font-weight: 600;
    background: var(--crs-surface-2);
    color: var(--crs-text-muted);
    white-space: nowrap;
  }
  .badge.ok {
    background: var(--crs-success-bg);
    color: var(--crs-success);
  }
  .badge.warn {
    background: var(--crs-warning-bg);
    color: var(--crs-warning);
  }
  .badge.bad {
    background: var(--crs-danger-bg);
    color: var(--crs-danger);
  }
  .badge.info {
    background: var(--crs-info-bg);
    color: var(--crs-primary);
  }
  .bar {
    height: 6px;
    border-radius: 3px;
    background: var(--crs-surface-2);
    overflow: hidden;
    min-width: 60px;
  }
  .bar > i {
    display: block;
    height: 100%;
    background: var(--crs-primary);
  }
  .bar > i.warn {
    background: var(--crs-warning);
  }
  .bar > i.bad {
    background: var(--crs-danger);
  }

  /* States */
  .state {
    display: flex;
    align-items: center;
    justify-content: center;
    gap: 10px;
    padding: 28px 16px;
    color: var(--crs-text-muted);
    text-align: center;
  }
  .state.error {
    color: var(--crs-danger);
  }
  .spinner {
    width: 16px;
    height: 16px;
    border: 2px solid var(--crs-border);
    border-top-color: var(--crs-primary);
    border-radius: 50%;
    animation: spin 0.8s linear infinite;
  }
  @keyframes spin {
    to {
      transform: rotate(360deg);
    }
  }
  .callout {
    padding: 10px 12px;
    border-radius: 6px;
    background: var(--crs-info-bg);
  }
  .callout.warn {
    background: var(--crs-warning-bg);
    color: var(--crs-warning);
  }
  .callout.error {
    background: var(--crs-danger-bg);
    color: var(--crs-danger);
  }
  .tabs {
    display: flex;
    gap: 4px;
    border-bottom: 1px solid var(--crs-border);
    margin-bottom: 12px;
  }
  .tabs a,
  .tabs button {
    padding: 8px 12px;
    border: 0;
    background: none;
    color: var(--crs-text-muted);
    font: inherit;
    font-weight: 600;
    text-decoration: none;
    border-bottom: 2px solid transparent;
    cursor: pointer;
  }
  .tabs [aria-selected='true'] {
    color: var(--crs-primary);
    border-bottom-color: var(--crs-primary);
  }
  @media (prefers-reduced-motion: reduce) {
    .spinner {
      animation-duration: 3s;
    }
  }
`
