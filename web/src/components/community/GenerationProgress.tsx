import { useEffect, useState } from 'react';
import { useApolloClient, useSubscription } from '@apollo/client';
import { Link } from 'react-router-dom';
import {
  DesignDetailDocument,
  DesignJobProgressDocument,
  type DesignJobProgressSubscription,
  type GenerationStatus,
} from '../../gql/graphql';
import { useT } from '../../i18n';
import { useNotifications } from '../../realtime/notifications';
import Picture, { type ImageLike } from './Picture';
import ErrorNote from '../ErrorNote';
import { isGenerating, statusLabel } from './labels';

type Event = DesignJobProgressSubscription['jobProgress'];
type Final = { status: GenerationStatus; error: string | null; image: ImageLike | null; title: string };

const STAGES: GenerationStatus[] = ['QUEUED', 'ANALYZING', 'GENERATING', 'READY'];

/** The design's stage as a job event tells it (`ANALYZING: …`, `GENERATING: …`, `READY`). */
function stageOf(event: Event | null, initial: GenerationStatus): GenerationStatus {
  if (!event) return initial;
  switch (event.state) {
    case 'QUEUED':
      return 'QUEUED';
    case 'SUCCEEDED':
      return 'READY';
    case 'DEAD':
    case 'CANCELLED':
      return 'FAILED';
    default: {
      const prefix = (event.message ?? '').split(':')[0].trim() as GenerationStatus;
      // The job's first event (no message yet) still reads as queued.
      return STAGES.includes(prefix) ? prefix : initial;
    }
  }
}

const isFinalJob = (e: Event | null) => !!e && (e.state === 'SUCCEEDED' || e.state === 'DEAD' || e.state === 'CANCELLED');

/**
 * Follows a design's generation live on `jobProgress(jobId)`: the stage and
 * percentage in a polite live region (`design-progress`), then the design's
 * final state (`design-status`) with a link to it. Should the subscription
 * fail, the design is polled instead.
 */
export default function GenerationProgress({
  jobId,
  designId,
  initialStatus,
}: {
  jobId: string;
  designId: string;
  initialStatus: GenerationStatus;
}) {
  const t = useT();
  const client = useApolloClient();
  const [event, setEvent] = useState<Event | null>(null);
  const [final, setFinal] = useState<Final | null>(null);
  const [ended, setEnded] = useState(!isGenerating(initialStatus));
  const [queryError, setQueryError] = useState<unknown>(null);

  const sub = useSubscription(DesignJobProgressDocument, {
    variables: { jobId },
    skip: ended,
    onData: ({ data }) => {
      const next = data.data?.jobProgress ?? null;
      if (!next) return;
      setEvent(next);
      if (isFinalJob(next)) setEnded(true);
    },
    onComplete: () => setEnded(true),
  });

  // Once the job is over (or the subscription is gone), read the design as stored;
  // while it is still being made without a live subscription, poll it.
  const lost = !!sub.error && !ended;
  useEffect(() => {
    if (final || (!ended && !lost)) return;
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const read = async () => {
      try {
        const { data, error } = await client.query({
          query: DesignDetailDocument,
          variables: { id: designId },
          fetchPolicy: 'network-only',
        });
        if (stop) return;
        const d = data?.design;
        if (!d) {
          if (error) setQueryError(error);
          return;
        }
        if (isGenerating(d.generationStatus)) {
          timer = setTimeout(() => void read(), 1500);
          return;
        }
        setFinal({ status: d.generationStatus, error: d.generationError, image: d.generatedImage, title: d.title });
      } catch (err) {
        if (!stop) setQueryError(err);
      }
    };
    void read();
    return () => {
      stop = true;
      if (timer) clearTimeout(timer);
    };
  }, [client, designId, ended, lost, final]);

  // The DESIGN_READY notification the server stores for the owner, as it arrives.
  const { items } = useNotifications();
  const readyNote = items.find((n) => n.kind === 'DESIGN_READY' && n.subjectId === designId);

  const stage = final ? final.status : stageOf(event, initialStatus);
  const percent = final?.status === 'READY' ? 100 : Math.round(Math.min(1, Math.max(0, event?.progress ?? 0)) * 100);

  return (
    <section className="card stack generation" aria-labelledby="generation-title">
      <h2 id="generation-title">{t('community.generationProgress')}</h2>
      <progress max={100} value={percent} aria-label={t('community.generationProgress')} />
      <p data-testid="design-progress" role="status" aria-live="polite" aria-atomic="true">
        {t('community.progressLine', { stage: statusLabel(t, stage), percent })}
      </p>
      <ol className="stages" aria-label={t('community.stages')}>
        {STAGES.map((s) => {
          const reached = STAGES.indexOf(s) <= STAGES.indexOf(stage === 'FAILED' ? 'QUEUED' : stage);
          return (
            <li key={s} className={reached ? 'stage is-reached' : 'stage'} aria-current={s === stage ? 'step' : undefined}>
              {statusLabel(t, s)}
            </li>
          );
        })}
      </ol>
      {final && (
        <div className="stack">
          <p data-testid="design-status" data-status={final.status} className={`design-status status-${final.status}`}>
            {statusLabel(t, final.status)}
          </p>
          {final.status === 'FAILED' && final.error && <p className="community-error">{final.error}</p>}
          {final.image && (
            <Picture image={final.image} alt={t('community.generatedAlt', { title: final.title })} className="generation-image" />
          )}
          <p>
            <Link className="btn btn-primary" to={`/designs/${designId}`}>
              {t('community.viewDesign')}
            </Link>
          </p>
        </div>
      )}
      <p aria-live="polite" className="muted">
        {readyNote && <span data-testid="design-ready-notification">{t('community.readyNotified')}</span>}
      </p>
      {lost && <p className="muted">{t('community.liveLost')}</p>}
      <ErrorNote area="community" error={queryError} />
    </section>
  );
}
