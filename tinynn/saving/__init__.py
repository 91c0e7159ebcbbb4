"""Files: model files, the archive format they and checkpoints share, and what a model
file records of a network's layers.

``archive`` (an ``.npz`` with a format version and JSON metadata, read with
``allow_pickle=False``), ``architecture`` (a layer-by-layer record, and the network
rebuilt from it), ``model_file`` (:func:`~tinynn.save_model`, :func:`~tinynn.load_model`).

Book section
------------
4.5 (keeping a trained network)
"""
