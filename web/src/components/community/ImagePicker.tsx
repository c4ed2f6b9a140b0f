import { useEffect, useId, useRef, useState } from 'react';
import { useT } from '../../i18n';
import { acceptableImage, IMAGE_TYPES } from './uploads';

export type Picked = { file: File; preview: string };

/**
 * Picks JPEG, PNG or WebP images (up to `max`), checked in the browser for
 * type and size, with previews that can be removed one by one.
 */
export default function ImagePicker({
  label,
  files,
  onChange,
  max,
  required = false,
  disabled = false,
}: {
  label: string;
  files: Picked[];
  onChange: (files: Picked[]) => void;
  max: number;
  required?: boolean;
  disabled?: boolean;
}) {
  const t = useT();
  const id = useId();
  const [problem, setProblem] = useState<string | null>(null);

  // Object URLs of previews are released when the picker goes away.
  const current = useRef(files);
  current.current = files;
  useEffect(() => () => current.current.forEach((f) => URL.revokeObjectURL(f.preview)), []);

  const onPick = (list: FileList | null) => {
    if (!list) return;
    const added: Picked[] = [];
    let issue: string | null = null;
    for (const file of Array.from(list)) {
      const bad = acceptableImage(file);
      if (bad) {
        issue = t(bad === 'type' ? 'community.imageWrongType' : 'community.imageTooLarge', { name: file.name });
        continue;
      }
      added.push({ file, preview: URL.createObjectURL(file) });
    }
    const next = max === 1 ? added.slice(0, 1) : [...files, ...added];
    if (max === 1 && added.length > 0) files.forEach((f) => URL.revokeObjectURL(f.preview));
    if (next.length > max) {
      issue = t('community.tooManyImages', { max });
      next.splice(max).forEach((f) => URL.revokeObjectURL(f.preview));
    }
    setProblem(issue);
    onChange(next);
  };

  const remove = (index: number) => {
    URL.revokeObjectURL(files[index].preview);
    onChange(files.filter((_, i) => i !== index));
  };

  return (
    <div className="image-picker">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="file"
        accept={IMAGE_TYPES.join(',')}
        multiple={max > 1}
        required={required && files.length === 0}
        disabled={disabled}
        aria-describedby={`${id}-hint`}
        onChange={(e) => {
          onPick(e.currentTarget.files);
          e.currentTarget.value = '';
        }}
      />
      <p id={`${id}-hint`} className="muted">
        {t('community.imageHint', { max })}
      </p>
      {problem && (
        <p className="community-error" role="alert">
          {problem}
        </p>
      )}
      {files.length > 0 && (
        <ul className="image-previews">
          {files.map((f, i) => (
            <li key={f.preview}>
              <img src={f.preview} alt={t('community.selectedImageAlt', { name: f.file.name })} />
              <button
                type="button"
                className="btn btn-small"
                disabled={disabled}
                onClick={() => remove(i)}
                aria-label={t('community.removeImage', { name: f.file.name })}
              >
                {t('community.remove')}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
