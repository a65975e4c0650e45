"""The Keras MLP of a spec; the output layer and loss follow from the target."""

import keras

from schemas.job_spec import ModelSpec, TrainingSpec


def build_model(spec: ModelSpec, *, n_features: int, n_classes: int) -> keras.Model:
    inputs = keras.Input(shape=(n_features,), name="features")
    x = inputs
    for i, layer in enumerate(spec.layers, start=1):
        reg = keras.regularizers.L1L2(l1=layer.l1, l2=layer.l2) if (layer.l1 or layer.l2) else None
        x = keras.layers.Dense(layer.units, kernel_regularizer=reg, name=f"dense_{i}")(x)
        if layer.batch_norm:
            x = keras.layers.BatchNormalization(name=f"batch_norm_{i}")(x)
        x = keras.layers.Activation(layer.activation, name=f"{layer.activation}_{i}")(x)
        if layer.dropout:
            x = keras.layers.Dropout(layer.dropout, name=f"dropout_{i}")(x)
    if n_classes == 2:
        outputs = keras.layers.Dense(1, activation="sigmoid", name="p_positive")(x)
    else:
        outputs = keras.layers.Dense(n_classes, activation="softmax", name="p_class")(x)
    return keras.Model(inputs, outputs, name="mlp")


def make_optimizer(spec: TrainingSpec) -> keras.optimizers.Optimizer:
    common = {"learning_rate": spec.learning_rate}
    if spec.clipnorm is not None:
        common["clipnorm"] = spec.clipnorm
    if spec.optimizer == "sgd":
        return keras.optimizers.SGD(momentum=spec.momentum, **common)
    if spec.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(momentum=spec.momentum, **common)
    if spec.optimizer == "adamw":
        return keras.optimizers.AdamW(weight_decay=spec.weight_decay or 0.004, **common)
    return keras.optimizers.Adam(**common)


def compile_model(model: keras.Model, spec: TrainingSpec, *, n_classes: int) -> None:
    if n_classes == 2:
        loss = "binary_crossentropy"
        metrics: list[keras.metrics.Metric] = [
            keras.metrics.BinaryAccuracy(name="accuracy"),
            keras.metrics.AUC(name="roc_auc"),
        ]
    else:
        loss = "sparse_categorical_crossentropy"
        metrics = [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
    model.compile(optimizer=make_optimizer(spec), loss=loss, metrics=metrics)
