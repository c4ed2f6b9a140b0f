import { Link } from 'react-router-dom';
import type { DesignStyle, GenerationStatus, RoomType } from '../../gql/graphql';
import { useT } from '../../i18n';
import Picture, { type ImageLike } from './Picture';
import Palette from './Palette';
import { roomLabel, statusLabel, styleLabel } from './labels';

export type DesignCardDesign = {
  id: string;
  title: string;
  style: DesignStyle | null;
  roomType: RoomType | null;
  generationStatus: GenerationStatus;
  palette: string[];
  generatedImage: ImageLike | null;
  sourceImage?: ImageLike | null;
  owner?: { id: string; nickname: string } | null;
  likeCount?: number;
};

/** A design tile: its image (generated, else the room photo), title, style and room. */
export default function DesignCard({ design, heading: Heading = 'h3' }: { design: DesignCardDesign; heading?: 'h2' | 'h3' | 'h4' }) {
  const t = useT();
  const image = design.generatedImage ?? design.sourceImage ?? null;
  const ready = design.generationStatus === 'READY' || design.generationStatus === 'UPLOADED';
  return (
    <article className="card design-card">
      <Link to={`/designs/${design.id}`} className="design-card-link">
        {image ? (
          <Picture image={image} thumb alt={t('community.designImageAlt', { title: design.title })} />
        ) : (
          <span className="design-card-empty">{statusLabel(t, design.generationStatus)}</span>
        )}
        <Heading className="design-card-title">{design.title}</Heading>
      </Link>
      <p className="muted design-card-meta">
        {[styleLabel(t, design.style), roomLabel(t, design.roomType)].filter(Boolean).join(' · ')}
        {!ready && <span className="badge"> {statusLabel(t, design.generationStatus)}</span>}
      </p>
      {design.owner && (
        <p className="muted design-card-meta">
          <Link to={`/users/${design.owner.id}`}>{design.owner.nickname}</Link>
          {typeof design.likeCount === 'number' && <> · {t('community.likeCount', { count: design.likeCount })}</>}
        </p>
      )}
      {design.palette.length > 0 && <Palette colors={design.palette} compact />}
    </article>
  );
}
