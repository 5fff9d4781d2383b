// Drawing grayscale images (values in [0, 1] or 0..255) onto canvases.
export function drawGray(canvas, values, width, height) {
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d');
  const image = context.createImageData(width, height);
  const scale = values instanceof Uint8Array ? 1 : 255;
  for (let i = 0; i < width * height; i++) {
    const v = Math.max(0, Math.min(255, Math.round(values[i] * scale)));
    image.data.set([v, v, v, 255], i * 4);
  }
  context.putImageData(image, 0, 0);
}

export function makeCanvases(container, count, label) {
  container.replaceChildren();
  return Array.from({ length: count }, (_, i) => {
    const canvas = document.createElement('canvas');
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `${label} ${i + 1}`);
    container.append(canvas);
    return canvas;
  });
}
