import type { ReactNode } from 'react';

type Common = {
  id: string;
  label: string;
  /** A sentence under the control, read with it (aria-describedby). */
  hint?: string;
  /** The field's error, shown and announced with it; marks it aria-invalid. */
  error?: string | null;
  required?: boolean;
};

function describedBy(id: string, hint?: string, error?: string | null): string | undefined {
  const ids = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean);
  return ids.length ? ids.join(' ') : undefined;
}

function Extra({ id, hint, error }: { id: string; hint?: string; error?: string | null }) {
  return (
    <>
      {hint && (
        <span className="seller-hint muted" id={`${id}-hint`}>
          {hint}
        </span>
      )}
      {error && (
        <span className="seller-field-error" id={`${id}-error`}>
          {error}
        </span>
      )}
    </>
  );
}

/** The field around a control: its label (a * when required), the control, then its hint and error. */
function Shell({ id, label, hint, error, required, children }: Common & { children: ReactNode }) {
  return (
    <div className="seller-field">
      <label htmlFor={id}>
        {label}
        {required && <span aria-hidden="true"> *</span>}
      </label>
      {children}
      <Extra id={id} hint={hint} error={error} />
    </div>
  );
}

/** What every control says of itself: id and name, required, invalid, and what describes it. */
function controlProps({ id, hint, error, required }: Common) {
  return {
    id,
    name: id,
    required,
    'aria-invalid': error ? true : undefined,
    'aria-describedby': describedBy(id, hint, error),
  };
}

/** A labelled text, number or date input with its hint and error. */
export function TextField({
  value,
  onChange,
  type = 'text',
  inputMode,
  min,
  max,
  maxLength,
  autoComplete,
  ...common
}: Common & {
  value: string;
  onChange: (value: string) => void;
  type?: 'text' | 'number' | 'date';
  inputMode?: 'numeric' | 'text';
  min?: number | string;
  max?: number | string;
  maxLength?: number;
  autoComplete?: string;
}) {
  return (
    <Shell {...common}>
      <input
        {...controlProps(common)}
        type={type}
        inputMode={inputMode}
        min={min}
        max={max}
        maxLength={maxLength}
        autoComplete={autoComplete ?? 'off'}
        value={value}
        onChange={(e) => onChange(e.target.value)}
      />
    </Shell>
  );
}

/** A labelled multi-line text area with its hint and error. */
export function TextAreaField({
  value,
  onChange,
  rows = 4,
  maxLength,
  ...common
}: Common & { value: string; onChange: (value: string) => void; rows?: number; maxLength?: number }) {
  return (
    <Shell {...common}>
      <textarea {...controlProps(common)} rows={rows} maxLength={maxLength} value={value} onChange={(e) => onChange(e.target.value)} />
    </Shell>
  );
}

/** A labelled select with its hint and error; options are the children. */
export function SelectField({
  value,
  onChange,
  children,
  ...common
}: Common & { value: string; onChange: (value: string) => void; children: ReactNode }) {
  return (
    <Shell {...common}>
      <select {...controlProps(common)} value={value} onChange={(e) => onChange(e.target.value)}>
        {children}
      </select>
    </Shell>
  );
}
