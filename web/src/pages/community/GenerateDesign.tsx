import { useRef, useState, type FormEvent } from 'react';
import { useApolloClient, useMutation, useQuery } from '@apollo/client';
import {
  GenerateDesignDocument,
  MyGenerationUsageDocument,
  type DesignStyle,
  type DesignVisibility,
  type GenerateDesignMutation,
  type RoomType,
} from '../../gql/graphql';
import { RequireAuth } from '../../auth';
import { useFormat, useT } from '../../i18n';
import ImagePicker, { type Picked } from '../../components/community/ImagePicker';
import GenerationProgress from '../../components/community/GenerationProgress';
import ErrorNote from '../../components/ErrorNote';
import { newIdempotencyKey, uploadImage } from '../../components/community/uploads';
import { ROOM_TYPES, STYLES, roomLabel, styleLabel } from '../../components/community/labels';
import '../../styles/community.css';

type Started = GenerateDesignMutation['generateDesign'];

const fileKey = (f: File) => `${f.name}:${f.size}:${f.lastModified}`;

function Usage() {
  const t = useT();
  const format = useFormat();
  const { data } = useQuery(MyGenerationUsageDocument, { fetchPolicy: 'cache-and-network' });
  const u = data?.myUsage;
  if (!u) return null;
  return (
    <p className="muted">
      {u.limit === null
        ? t('community.usageUnlimited', { used: u.used })
        : t('community.usage', { remaining: u.remaining ?? 0, limit: u.limit, date: format.date(u.periodEnd) })}
    </p>
  );
}

/** A labelled select of one of `options`. */
function Choice<T extends string>({
  id,
  label,
  value,
  options,
  optionLabel,
  disabled,
  onChange,
}: {
  id: string;
  label: string;
  value: T;
  options: readonly T[];
  optionLabel: (option: T) => string;
  disabled: boolean;
  onChange: (value: T) => void;
}) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} disabled={disabled} onChange={(e) => onChange(e.currentTarget.value as T)}>
        {options.map((o) => (
          <option key={o} value={o}>
            {optionLabel(o)}
          </option>
        ))}
      </select>
    </div>
  );
}

function GenerateForm() {
  const t = useT();
  const client = useApolloClient();
  const [title, setTitle] = useState('');
  const [roomType, setRoomType] = useState<RoomType>('LIVING_ROOM');
  const [style, setStyle] = useState<DesignStyle>('MODERN');
  const [prompt, setPrompt] = useState('');
  const [visibility, setVisibility] = useState<DesignVisibility>('PUBLIC');
  const [photo, setPhoto] = useState<Picked[]>([]);
  const [phase, setPhase] = useState<'idle' | 'uploading' | 'starting'>('idle');
  const [failure, setFailure] = useState<unknown>(null);
  const [started, setStarted] = useState<Started | null>(null);
  // A retry of the same request reuses its upload and its idempotency key, so
  // the server answers the design it already made instead of making another.
  const upload = useRef<{ file: string; id: string } | null>(null);
  const intent = useRef<{ input: string; key: string } | null>(null);
  const [generate] = useMutation(GenerateDesignDocument, { refetchQueries: [MyGenerationUsageDocument] });

  const busy = phase !== 'idle';
  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const file = photo[0]?.file;
    if (busy || !file) return;
    setFailure(null);
    try {
      if (upload.current?.file !== fileKey(file)) {
        setPhase('uploading');
        upload.current = { file: fileKey(file), id: await uploadImage(client, file) };
      }
      const input = {
        title: title.trim() || null,
        prompt,
        style,
        roomType,
        visibility,
        sourceUploadId: upload.current.id,
      };
      const signature = JSON.stringify(input);
      if (intent.current?.input !== signature) intent.current = { input: signature, key: newIdempotencyKey() };
      setPhase('starting');
      const { data } = await generate({ variables: { input, idempotencyKey: intent.current.key } });
      if (data) setStarted(data.generateDesign);
    } catch (err) {
      setFailure(err);
    } finally {
      setPhase('idle');
    }
  };

  const reset = () => {
    setStarted(null);
    setPhoto([]);
    upload.current = null;
    intent.current = null;
  };

  if (started) {
    return (
      <div className="stack">
        <p>{t('community.generationStarted', { title: started.design.title })}</p>
        <GenerationProgress
          key={started.jobId}
          jobId={started.jobId}
          designId={started.design.id}
          initialStatus={started.design.generationStatus}
        />
        <p>
          <button type="button" className="btn" onClick={reset}>
            {t('community.generateAnother')}
          </button>
        </p>
      </div>
    );
  }

  return (
    <form className="stack community-form" onSubmit={onSubmit} aria-busy={busy}>
      <Usage />
      <ImagePicker
        label={t('community.roomPhoto')}
        files={photo}
        onChange={setPhoto}
        max={1}
        required
        disabled={busy}
      />
      <Choice
        id="design-room"
        label={t('community.roomType')}
        value={roomType}
        options={ROOM_TYPES}
        optionLabel={(r) => roomLabel(t, r)}
        disabled={busy}
        onChange={setRoomType}
      />
      <Choice
        id="design-style"
        label={t('community.style')}
        value={style}
        options={STYLES}
        optionLabel={(s) => styleLabel(t, s)}
        disabled={busy}
        onChange={setStyle}
      />
      <div className="field">
        <label htmlFor="design-title">{t('community.designTitle')}</label>
        <input
          id="design-title"
          type="text"
          value={title}
          maxLength={120}
          disabled={busy}
          aria-describedby="design-title-hint"
          onChange={(e) => setTitle(e.currentTarget.value)}
        />
        <p id="design-title-hint" className="muted">
          {t('community.designTitleHint')}
        </p>
      </div>
      <div className="field">
        <label htmlFor="design-prompt">{t('community.prompt')}</label>
        <textarea
          id="design-prompt"
          value={prompt}
          maxLength={2000}
          rows={4}
          disabled={busy}
          aria-describedby="design-prompt-hint"
          onChange={(e) => setPrompt(e.currentTarget.value)}
        />
        <p id="design-prompt-hint" className="muted">
          {t('community.promptHint')}
        </p>
      </div>
      <fieldset className="field">
        <legend>{t('community.visibility')}</legend>
        {(['PUBLIC', 'PRIVATE'] as DesignVisibility[]).map((v) => (
          <label key={v} className="radio">
            <input
              type="radio"
              name="visibility"
              value={v}
              checked={visibility === v}
              disabled={busy}
              onChange={() => setVisibility(v)}
            />{' '}
            {t(`community.visibility_${v}`)}
          </label>
        ))}
      </fieldset>
      <p role="status" aria-live="polite" className="muted">
        {phase === 'uploading' ? t('community.uploadingPhoto') : phase === 'starting' ? t('community.startingGeneration') : ''}
      </p>
      <ErrorNote area="community" error={failure} />
      <div className="row">
        <button type="submit" className="btn btn-primary" disabled={busy || photo.length === 0}>
          {t('community.generate')}
        </button>
      </div>
    </form>
  );
}

/** Generate a room design from a photo, then watch its job live. */
export default function GenerateDesign() {
  const t = useT();
  return (
    <RequireAuth>
      <div className="page community">
        <h1>{t('community.generateDesign')}</h1>
        <p className="muted">{t('community.generateIntro')}</p>
        <GenerateForm />
      </div>
    </RequireAuth>
  );
}
