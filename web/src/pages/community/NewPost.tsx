import { useState, type FormEvent } from 'react';
import { useApolloClient, useMutation, useQuery } from '@apollo/client';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { CommunityDesignsDocument, CreateCommunityPostDocument } from '../../gql/graphql';
import { RequireAuth, useAuth } from '../../auth';
import { useT } from '../../i18n';
import ImagePicker, { type Picked } from '../../components/community/ImagePicker';
import ErrorNote from '../../components/ErrorNote';
import { uploadImage } from '../../components/community/uploads';
import '../../styles/community.css';

const MAX_BODY = 2000;
const MAX_IMAGES = 10;

function NewPostForm() {
  const t = useT();
  const { user } = useAuth();
  const client = useApolloClient();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [body, setBody] = useState('');
  const [images, setImages] = useState<Picked[]>([]);
  const [designId, setDesignId] = useState(params.get('design') ?? '');
  const [progress, setProgress] = useState('');
  const [failure, setFailure] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const designs = useQuery(CommunityDesignsDocument, {
    variables: { filter: { ownerId: user?.id }, first: 50 },
    skip: !user,
  });
  const [createPost] = useMutation(CreateCommunityPostDocument);

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy || !body.trim()) return;
    setBusy(true);
    setFailure(null);
    try {
      const uploadIds: string[] = [];
      for (const [i, image] of images.entries()) {
        setProgress(t('community.uploadingImage', { n: i + 1, total: images.length }));
        uploadIds.push(await uploadImage(client, image.file));
      }
      setProgress(t('community.posting'));
      const { data } = await createPost({
        variables: { input: { body, imageUploadIds: uploadIds, designId: designId || null } },
      });
      const id = data?.createPost.id;
      // Lists of posts (profile) are stale now.
      client.cache.evict({ fieldName: 'posts' });
      client.cache.gc();
      if (id) navigate(`/posts/${id}`);
    } catch (err) {
      setFailure(err);
      setProgress('');
      setBusy(false);
    }
  };

  const ownDesigns = designs.data?.designs.edges.map((e) => e.node) ?? [];
  return (
    <div className="page community">
      <h1>{t('community.newPost')}</h1>
      <form className="stack community-form" onSubmit={onSubmit} aria-busy={busy}>
        <div className="field">
          <label htmlFor="post-body">{t('community.postBody')}</label>
          <textarea
            id="post-body"
            value={body}
            required
            maxLength={MAX_BODY}
            rows={6}
            disabled={busy}
            aria-describedby="post-body-count"
            onChange={(e) => setBody(e.currentTarget.value)}
          />
          <p id="post-body-count" className="muted">
            {t('community.charCount', { count: body.length, max: MAX_BODY })}
          </p>
        </div>
        <ImagePicker
          label={t('community.postImages')}
          files={images}
          onChange={setImages}
          max={MAX_IMAGES}
          disabled={busy}
        />
        <div className="field">
          <label htmlFor="post-design">{t('community.attachDesign')}</label>
          <select
            id="post-design"
            value={designId}
            disabled={busy}
            onChange={(e) => setDesignId(e.currentTarget.value)}
          >
            <option value="">{t('community.noDesign')}</option>
            {ownDesigns.map((d) => (
              <option key={d.id} value={d.id}>
                {d.title}
              </option>
            ))}
            {designId && !ownDesigns.some((d) => d.id === designId) && (
              <option value={designId}>{t('community.selectedDesign')}</option>
            )}
          </select>
        </div>
        <p role="status" aria-live="polite" className="muted">
          {progress}
        </p>
        <ErrorNote area="community" error={failure} />
        <div className="row">
          <button type="submit" className="btn btn-primary" disabled={busy || !body.trim()}>
            {t('community.publish')}
          </button>
          <button type="button" className="btn" disabled={busy} onClick={() => navigate(-1)}>
            {t('common.cancel')}
          </button>
        </div>
      </form>
    </div>
  );
}

/** Write a post: text, up to 10 images (direct uploads) and optionally one of one's designs. */
export default function NewPost() {
  return (
    <RequireAuth>
      <NewPostForm />
    </RequireAuth>
  );
}
