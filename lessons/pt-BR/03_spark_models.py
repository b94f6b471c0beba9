# %% [markdown]
# # 03 · Modelos Spark
#
# Quando os dados não cabem mais em uma máquina, os modelos vão para o Spark. O MLflow
# rastreia modelos do Spark MLlib do mesmo jeito: parâmetros, métricas e o próprio modelo,
# que depois pode ser carregado de volta como modelo Spark, como uma função Python comum
# sobre pandas ou como uma UDF do Spark que gera previsões para um DataFrame inteiro em
# paralelo. Esta lição executa o exemplo PySpark da página do DataFlow Lab exatamente como
# está escrito e depois constrói a versão que você manteria: um pipeline treinado,
# rastreado, recarregado e usado para prever — localmente ou no cluster Spark do
# laboratório, mudando um único parâmetro.
#
# **Você vai aprender** pipelines e avaliadores (evaluators) do Spark ML;
# `mlflow.spark.log_model` (e como deixá-lo mais rápido); carregar um modelo Spark como
# `pyfunc`; gerar previsões com `spark_udf`; o que `mlflow.pyspark.ml.autolog` loga e o
# que ele não tem como saber; comparar execuções (runs) Spark e scikit-learn a partir do
# servidor.
#
# **Tempo:** 45 minutos. **Pré-requisitos:** 01 · Rastreamento básico (02 para a comparação).
# O Spark precisa do Java 17 ou mais recente; `lab doctor` verifica isso.
#
# **No mapa** (lição 00): execuções e modelos logados, feitos com Spark em vez do scikit-learn.

# %%
import lab_utils

lab = lab_utils.connect(language="pt_BR")

# %% tags=["parameters"]
spark_master = ""  # "" executa o Spark dentro deste notebook (local[*]); ou, p. ex., "spark://127.0.0.1:7077"
num_trees = 20
max_depth = 5

# %% [markdown]
# ## Uma sessão Spark na medida de um laptop
#
# > **JVM** — a Java Virtual Machine (máquina virtual Java), o programa que executa código
# > Java (e Scala). O Spark é escrito em Scala, então roda em uma JVM; o PySpark é o lado
# > Python que envia trabalho para ela. Iniciar uma sessão Spark inicia uma JVM, e é por
# > isso que o Spark precisa do Java instalado.
#
# `lab_utils.spark_session` verifica o Java primeiro, vincula o Spark a 127.0.0.1, desliga
# a interface web e usa 4 partições de shuffle em vez de 200 (nossos dados têm 546 linhas).
# Suas JVMs usam só o compilador rápido do Java e uma thread de coleta de lixo, ajustes para
# tarefas pequenas e curtas (`lab_utils/spark_conf/spark-defaults.conf`). Para usar o cluster standalone do laboratório, execute `lab spark up` em um terminal e
# defina `spark_master`, acima, com a URL dele. A próxima célula é a mais lenta dos
# primeiros passos da lição: ela inicia a JVM e carrega o Spark.

# %%
import logging

from lab_utils.spark import house_prices_spark_frames, spark_session

spark = spark_session("lesson-03-spark-models", master=spark_master or None)
train_data, test_data = house_prices_spark_frames(spark)
# No nível INFO, o mlflow.spark informa cada pasta temporária pela qual copia um modelo.
logging.getLogger("mlflow.spark").setLevel(logging.WARNING)
print("Spark", spark.version, "master", spark.sparkContext.master)

# %% [markdown]
# As linhas no stderr vêm da JVM durante a inicialização, antes de nossas configurações
# valerem: o Java avisa que o Spark usa seu módulo de vetores *incubating* (matemática
# vetorial rápida, ainda marcada como experimental no Java), o Spark informa qual
# configuração de log padrão está usando, e o Hadoop (a camada de sistema de arquivos do
# Spark) não encontra uma biblioteca nativa para esta plataforma e usa seu código Java no
# lugar. Nenhuma delas exige ação.

# %% tags=["nbval-check-output"]
print(train_data.count(), "linhas de treinamento,", test_data.count(), "linhas de teste")
train_data.select("features", "label").show(3, truncate=False)

# %% [markdown]
# ## O exemplo da página do DataFlow Lab, como está escrito
#
# A última célula dele demora um pouco (a sessão Spark já está no ar): vamos ver por quê.

# %%
import mlflow

experiment = mlflow.set_experiment("meu_experimento")

# %%
from pyspark.ml.regression import RandomForestRegressor
from pyspark.ml.evaluation import RegressionEvaluator
import mlflow.spark

# Treinar modelo
rf = RandomForestRegressor(labelCol="label", featuresCol="features")
model = rf.fit(train_data)

# Avaliar modelo
predictions = model.transform(test_data)
rmse = RegressionEvaluator(labelCol="label").evaluate(predictions)

# Registrar modelo com MLflow
with mlflow.start_run():
    mlflow.log_param("numTrees", rf.getNumTrees())
    mlflow.log_param("maxDepth", rf.getMaxDepth())
    mlflow.log_metric("rmse", rmse)
    mlflow.spark.log_model(model, "spark_model")

# %% [markdown]
# Funciona — com barulho, e devagar.
#
# **O `ERROR` do Java** acima, com seu longo stack trace, diz
# `No FileSystem for scheme "mlflow-artifacts"`. O `mlflow.spark.log_model` primeiro pede
# ao Spark que salve o modelo direto na URI de artefatos (artifacts) da execução. O Spark
# grava por meio do Hadoop, que não conhece o esquema `mlflow-artifacts:`; esse salvamento
# falha e a instrumentação de ML do Spark escreve o erro no log. O MLflow então recorre a
# um plano B: salva o modelo em uma pasta temporária e o envia pelo servidor de
# rastreamento (tracking server). O modelo é salvo mesmo assim; o erro é inofensivo, e voltaria
# a aparecer em cada `log_model` do Spark neste laboratório. Como já o vimos uma vez,
# elevamos o nível de log do Spark para `FATAL`, para que não sejam exibidos os erros que o
# Spark loga e dos quais se recupera. Um job Spark que falhe de verdade continua
# lançando uma exceção Python.
#
# **O tempo.** A execução contém três pequenas chamadas de log e o `log_model`, então sua
# duração no servidor é mais ou menos o tempo que o `log_model` levou:

# %%
spark.sparkContext.setLogLevel("FATAL")

page_run = mlflow.last_active_run()
page_seconds = (page_run.info.end_time - page_run.info.start_time) / 1000
print(f"a execução da página durou {lab_utils.format_number(page_seconds, 1)} s")

# %% [markdown]
# O que deixa tudo lento é o `log_model` descobrindo de quais pacotes pip o modelo precisa:
# sem `pip_requirements`, o MLflow carrega de novo o modelo salvo em um novo processo Python
# para ver o que ele importa, e carregar um modelo Spark ali inicia uma *segunda* JVM.
# Passar `pip_requirements` pula essa etapa; a próxima seção mede o `log_model` com eles,
# para você comparar os dois números impressos.
#
# Mais duas coisas a notar:
#
# - Ao contrário de `mlflow.sklearn.log_model`, o `mlflow.spark.log_model` desta versão do
#   MLflow ainda recebe o caminho do artefato como argumento posicional (`name=` gera um
#   `TypeError`).
# - O modelo espera uma coluna vetorial `features`: quem for usá-lo precisa reconstruir
#   esse vetor.
#
# ## Um pipeline, rastreado do jeito que você o manteria
#
# Um `Pipeline` leva o `VectorAssembler` junto com a floresta, então o modelo que
# logamos recebe as 11 colunas simples. Logamos os parâmetros, o RMSE e o R² de
# teste (nas mesmas casas de teste das lições 01 e 02), as importâncias das features
# e o modelo, com requisitos explícitos e um exemplo de entrada. Treinar e salvar
# um modelo Spark ainda leva algum tempo: a célula imprime quanto tempo o `log_model` levou.
#
# A partir do exemplo de entrada, o MLflow infere uma assinatura (signature) com colunas
# *inteiras* e avisa que uma coluna inteira não comporta valores ausentes: um cliente que
# enviasse `NaN` em, digamos, `bedrooms` seria recusado. Nossas casas não têm valores
# ausentes, então silenciamos esse aviso específico aqui; a lição 05 mostra o que colunas
# inteiras significam na hora da previsão.

# %%
import time
import warnings

import pyspark
from pyspark.ml import Pipeline
from pyspark.ml.feature import VectorAssembler

from lab_utils.data import FEATURES

train_raw = train_data.drop("features")
test_raw = test_data.drop("features")
pipeline = Pipeline(stages=[
    VectorAssembler(inputCols=FEATURES, outputCol="features"),
    RandomForestRegressor(labelCol="label", numTrees=num_trees, maxDepth=max_depth, seed=42),
])
spark_requirements = [f"pyspark=={pyspark.__version__}", f"mlflow=={mlflow.__version__}"]

with mlflow.start_run(run_name="spark_random_forest") as spark_run:
    mlflow.set_tags({"dataset": "windsor_house_prices", "model_family": "spark_random_forest"})
    mlflow.log_params({"numTrees": num_trees, "maxDepth": max_depth, "spark_master": spark.sparkContext.master})
    start = time.perf_counter()
    pipeline_model = pipeline.fit(train_raw)
    mlflow.log_metric("fit_seconds", time.perf_counter() - start)
    scored = pipeline_model.transform(test_raw)
    evaluator = RegressionEvaluator(labelCol="label", predictionCol="prediction")
    spark_rmse = evaluator.evaluate(scored, {evaluator.metricName: "rmse"})
    spark_r2 = evaluator.evaluate(scored, {evaluator.metricName: "r2"})
    mlflow.log_metrics({"rmse": spark_rmse, "r2": spark_r2})
    importances = pipeline_model.stages[-1].featureImportances.toArray()
    mlflow.log_dict(dict(zip(FEATURES, importances.round(4).tolist())), "feature_importances.json")

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")
        mlflow.spark.log_model(pipeline_model, "model", pip_requirements=spark_requirements,
                               input_example=test_raw.drop("label").limit(3).toPandas())
    log_model_seconds = time.perf_counter() - start
    mlflow.log_metric("log_model_seconds", log_model_seconds)

print(f"log_model levou {lab_utils.format_number(log_model_seconds, 1)} s com requisitos explícitos "
      f"(a execução da página: {lab_utils.format_number(page_seconds, 1)} s)")
print(f"RMSE de teste {lab_utils.format_number(spark_rmse)} CAD, R² {lab_utils.format_number(spark_r2, 3)}")
print("a execução na UI:", lab_utils.run_url(lab, spark_run))

# %% [markdown]
# ### Ponto de verificação

# %%
from mlflow import MlflowClient

client = MlflowClient()
checked = lab_utils.assert_run_logged(
    spark_run.info.run_id, params={"numTrees": num_trees, "maxDepth": max_depth},
    metrics={"rmse": spark_rmse}, artifacts=["feature_importances.json", "model"])
spark_logged_models = mlflow.search_logged_models(
    experiment_ids=[experiment.experiment_id], output_format="list",
    filter_string=f"source_run_id = '{spark_run.info.run_id}'")
print("modelos logados da execução:", len(spark_logged_models))

# %% [markdown]
# Repare para onde o modelo foi: para os artefatos da execução (`model/`), e nenhum
# *modelo logado* (logged model) foi criado. Nesta versão do MLflow, o
# `mlflow.spark.log_model` ainda guarda um modelo Spark do jeito do MLflow 2, como arquivos
# da execução; por isso `runs:/<run id>/model` é o endereço dele e
# `mlflow.search_logged_models` não o lista. Os modelos scikit-learn que a lição 01
# logou com `name=` são modelos logados.

# %% [markdown]
# ## Carregando o modelo de volta
#
# > **Flavor** — uma das formas de carregar um modelo logado (em inglês, "sabor": o mesmo
# > modelo servido de jeitos diferentes). O arquivo `MLmodel` lista os flavors: aqui, `spark` (volta como um `PipelineModel` do Spark) e
# > `python_function`, ou *pyfunc* (um `predict(pandas DataFrame)` genérico que qualquer
# > código Python, ou um servidor de modelos, pode chamar).
#
# Como **modelo Spark**, para jobs Spark, e como **pyfunc**, sobre um DataFrame pandas —
# desse jeito, qualquer código Python pode usá-lo sem escrever código Spark.

# %%
import numpy as np

model_uri = f"runs:/{spark_run.info.run_id}/model"
as_spark = mlflow.spark.load_model(model_uri)
as_pyfunc = mlflow.pyfunc.load_model(model_uri)

houses = lab_utils.load_house_prices()
all_houses = spark.createDataFrame(houses)
pandas_predictions = np.asarray(as_pyfunc.predict(houses[FEATURES].head(5)))
spark_predictions = [row.prediction for row in as_spark.transform(all_houses.limit(5)).collect()]
print("pyfunc no pandas:  ", pandas_predictions.round(-2))
print("modelo Spark:      ", np.round(spark_predictions, -2))

# %% [markdown]
# ## Previsões sobre um DataFrame Spark com qualquer modelo MLflow: `spark_udf`
#
# O caminho inverso: um modelo treinado *sem* Spark (por exemplo, o ElasticNet do
# scikit-learn da lição 01) pode gerar previsões para um DataFrame Spark grande em
# paralelo. `mlflow.pyfunc.spark_udf` o empacota como uma função definida pelo usuário
# (UDF) do Spark; cada worker do Spark carrega o modelo uma única vez. (Um modelo Spark não
# precisa de UDF: `transform` já roda no cluster.)

# %%
from pyspark.sql.functions import struct

sklearn_run = mlflow.search_runs(experiment_names=["meu_experimento"],
                                 filter_string="attributes.run_name = 'elasticnet_measured'",
                                 order_by=["attributes.start_time DESC"], max_results=1)
sklearn_uri = f"runs:/{sklearn_run.run_id[0]}/model"
score = mlflow.pyfunc.spark_udf(spark, sklearn_uri, result_type="double", env_manager="local")
batch = all_houses.withColumn("predicted_price", score(struct(*FEATURES)))
batch.select("price", "predicted_price").show(5)

# %% [markdown]
# O MLflow avisa que `env_manager="local"` faz as previsões com os pacotes deste notebook,
# em vez de recriar o ambiente em que o modelo foi logado (`"virtualenv"`, `"uv"` ou
# `"conda"` construiriam esse ambiente antes). Aqui os dois são o mesmo ambiente: a lição 01
# logou o modelo a partir do kernel deste laboratório, então `local` é o correto, e é
# rápido.
#
# ### Ponto de verificação
# Os carregadores concordam entre si, e a UDF concorda com o modelo scikit-learn.

# %% tags=["nbval-check-output"]
sklearn_predictions = np.asarray(mlflow.pyfunc.load_model(sklearn_uri).predict(houses[FEATURES].head(5)))
udf_predictions = [row.predicted_price for row in batch.limit(5).collect()]
assert np.allclose(pandas_predictions, spark_predictions), "o pyfunc e o modelo Spark discordam"
assert np.allclose(sklearn_predictions, udf_predictions), "a UDF discorda do modelo"
print(f"✓ pyfunc = modelo Spark; spark_udf = modelo scikit-learn; {batch.count()} casas com previsão")

# %% [markdown]
# ## Log automático (autologging) do Spark ML
#
# `mlflow.pyspark.ml.autolog()` modifica o `fit` dos estimadores do Spark ML e, enquanto
# está ligado, também `transform` e `evaluate`: um avaliador chamado sobre as previsões de
# um modelo cujo treinamento ele acompanhou é logado como métrica da execução desse modelo.
# Vamos guardar o modelo treinado e avaliá-lo nas casas de teste antes de desligar o
# autolog. (`silent=True` mantém as mensagens de log do próprio autolog fora da saída.)
#
# Por padrão, o autolog também loga o modelo, via `mlflow.spark.log_model` *sem*
# `pip_requirements`: a inferência lenta de requisitos do exemplo da página, a cada `fit`.
# Passamos `log_models=False` para manter esta célula rápida.

# %%
mlflow.pyspark.ml.autolog(log_models=False, silent=True)
with mlflow.start_run(run_name="spark_autolog") as auto_run:
    start = time.perf_counter()
    auto_model = pipeline.fit(train_raw)
    autolog_fit = time.perf_counter() - start
    evaluator.evaluate(auto_model.transform(test_raw))
mlflow.pyspark.ml.autolog(disable=True)

start = time.perf_counter()
pipeline.fit(train_raw)
plain_fit = time.perf_counter() - start
print(f"fit com autolog {lab_utils.format_number(autolog_fit, 1)} s, sem {lab_utils.format_number(plain_fit, 1)} s")

# %% [markdown]
# ### Ponto de verificação
# O que o servidor guarda da execução do autolog: parâmetros, métricas, conjuntos de dados
# (cada um com seu contexto) e artefatos.

# %% tags=["nbval-check-output"]
auto = client.get_run(auto_run.info.run_id)
contexts = sorted(t.value for d in auto.inputs.dataset_inputs for t in d.tags if t.key == "mlflow.data.context")
auto_artifacts = [a.path for a in client.list_artifacts(auto_run.info.run_id)]
print(f"parâmetros: {len(auto.data.params)} (p. ex. {sorted(auto.data.params)[:2]})")
print("métricas:", sorted(auto.data.metrics))
print("conjuntos de dados (contexto):", contexts)
print("artefatos da execução:", auto_artifacts)
assert "rmse_test_raw" in auto.data.metrics and contexts == ["eval", "train"], (
    "o autolog não logou o que esta seção espera")

# %% [markdown]
# O autolog logou cada parâmetro de cada etapa do pipeline, o DataFrame de treinamento
# (contexto `train`), dois arquivos JSON que descrevem o estimador e as chamadas de métrica
# e — como avaliamos o modelo treinado enquanto ele estava ligado —
# `rmse_test_raw`, com o DataFrame avaliado como dados `eval`. Ele montou esse nome a
# partir da métrica do avaliador e do *nome da nossa variável*: sabe que avaliamos um
# DataFrame chamado `test_raw`, não que são casas reservadas (held-out), nem qual métrica
# decide. Um avaliador chamado depois de `autolog(disable=True)`, ou uma métrica calculada
# de outro jeito (numpy sobre previsões coletadas), não é logado. O custo dele é o
# log a cada `fit`, como impresso acima, e maior com `log_models=True`.
#
# ## Spark contra scikit-learn, a partir do servidor
#
# As lições 01 e 02 logaram modelos scikit-learn avaliados nas mesmas casas de teste.
# Uma única busca reúne as execuções desta lição e as delas; o RMSE de teste de cada
# execução está sob o nome que a respectiva lição lhe deu. A tabela segue a ordem das lições,
# sem ranking: uma nota de teste relata como um modelo escolhido se sai, não escolhe entre
# modelos (a lição 02 escolheu na validação).

# %%
import pandas as pd

runs = mlflow.search_runs(experiment_names=["meu_experimento"], filter_string="attributes.status = 'FINISHED'",
                          order_by=["attributes.start_time DESC"])
this_lesson = {page_run.info.run_id: "03 a floresta Spark da página (padrões)",
               spark_run.info.run_id: f"03 spark_random_forest ({num_trees} árvores, profundidade {max_depth})",
               auto_run.info.run_id: "03 spark_autolog (o mesmo pipeline)"}
earlier = {"elasticnet_measured": "01 elasticnet_measured (scikit-learn)",
           "grid_search_nested": "02 grid_search_nested, a melhor (scikit-learn)"}
latest = runs.drop_duplicates("tags.mlflow.runName")  # a execução mais recente de cada nome
rows = pd.concat([runs[runs.run_id.isin(list(this_lesson))].assign(model=lambda r: r.run_id.map(this_lesson)),
                  latest[latest["tags.mlflow.runName"].isin(earlier)]
                  .assign(model=lambda r: r["tags.mlflow.runName"].map(earlier))])
names = [c for c in ("metrics.rmse", "metrics.rmse_test_raw", "metrics.test_rmse", "metrics.validation_rmse")
         if c in rows]
comparison = (rows.set_index("model")[names].bfill(axis=1).iloc[:, 0]
              .rename("RMSE de teste (CAD)").rename_axis("modelo").round(0).to_frame())
comparison

# %% [markdown]
# ## Exercícios
#
# ### Exercício 1
# Treine o mesmo pipeline com `numTrees=50` e `maxDepth=8`. Crie uma execução chamada
# `exercise_spark_deeper` com os dois parâmetros, o `rmse` de teste e o pipeline treinado
# como o modelo `model` (com `pip_requirements`). Coloque o id da execução em
# `deeper_run_id`. Como o RMSE de teste dele se compara com `spark_rmse`? (Para *escolher*
# entre os dois, você compararia em casas de validação, como faz a lição 04; aqui apenas
# relatamos.)

# %% tags=["exercise"]
deeper_run_id = ...  # seu código aqui

# %% [markdown]
# <details><summary>Dica</summary>
#
# Monte um `Pipeline` como `pipeline`, com `RandomForestRegressor(..., numTrees=50,
# maxDepth=8, seed=42)`; depois, dentro de `mlflow.start_run(run_name=...)`, use
# `mlflow.log_params`, `mlflow.log_metric` (`evaluator.evaluate` sobre as previsões de
# teste) e `mlflow.spark.log_model(model, "model", pip_requirements=spark_requirements)`.
#
# </details>

# %% tags=["solution"]
deeper = Pipeline(stages=[
    VectorAssembler(inputCols=FEATURES, outputCol="features"),
    RandomForestRegressor(labelCol="label", numTrees=50, maxDepth=8, seed=42),
]).fit(train_raw)
with mlflow.start_run(run_name="exercise_spark_deeper") as deeper_run:
    mlflow.log_params({"numTrees": 50, "maxDepth": 8})
    mlflow.log_metric("rmse", evaluator.evaluate(deeper.transform(test_raw), {evaluator.metricName: "rmse"}))
    mlflow.spark.log_model(deeper, "model", pip_requirements=spark_requirements)
deeper_run_id = deeper_run.info.run_id

# %% tags=["check-exercise"]
if lab_utils.attempted(deeper_run_id, "Exercício 1"):
    from lab_utils.grading import lesson_03
    lesson_03.check_exercise_1(deeper_run_id, test_raw, evaluator, spark_rmse)

# %% [markdown]
# ### Exercício 2
# Dê preço aos anúncios de `data/new_houses.csv` (`lab_utils.load_new_houses()`) com a UDF
# do Spark `score` (o ElasticNet da lição 01), mantendo as colunas `house_id` e
# `predicted_price`. Grave o resultado com o Spark, em Parquet, numa pasta temporária e
# logue essa pasta como o artefato `priced` de uma execução chamada
# `exercise_spark_batch`. Coloque o id da execução em `batch_run_id`.

# %% tags=["exercise"]
batch_run_id = ...  # seu código aqui

# %% [markdown]
# <details><summary>Dica</summary>
#
# `spark.createDataFrame(lab_utils.load_new_houses().reset_index())`, depois
# `.withColumn("predicted_price", score(struct(*FEATURES)))`, `.select(...)`,
# `.write.mode("overwrite").parquet(path)` com `path = os.path.join(folder, "priced")`, uma
# pasta nova dentro de um `tempfile.TemporaryDirectory()` (o Spark se recusa a gravar numa
# pasta que já existe: `PATH_ALREADY_EXISTS`), e `mlflow.log_artifacts(path,
# artifact_path="priced")` dentro da execução.
#
# </details>

# %% tags=["solution"]
import os
import tempfile

new_houses = spark.createDataFrame(lab_utils.load_new_houses().reset_index())
priced = new_houses.withColumn("predicted_price", score(struct(*FEATURES))).select("house_id", "predicted_price")
with tempfile.TemporaryDirectory() as folder, mlflow.start_run(run_name="exercise_spark_batch") as batch_run:
    priced.write.mode("overwrite").parquet(os.path.join(folder, "priced"))
    mlflow.log_artifacts(os.path.join(folder, "priced"), artifact_path="priced")
batch_run_id = batch_run.info.run_id

# %% tags=["check-exercise"]
if lab_utils.attempted(batch_run_id, "Exercício 2"):
    from lab_utils.grading import lesson_03
    lesson_03.check_exercise_2(batch_run_id, sklearn_uri)

# %%
spark.stop()

# %% [markdown]
# ## Resumo
#
# - O MLflow rastreia o Spark ML como rastreia o scikit-learn: parâmetros, métricas, o
#   modelo.
# - Logue um `Pipeline`, não um estimador isolado, para que quem usa o modelo passe
#   colunas simples; passe `pip_requirements` para `mlflow.spark.log_model` e pule a
#   inferência lenta.
# - Carregue modelos Spark como modelos Spark ou como pyfunc (entra pandas, sem código Spark);
#   gere previsões para DataFrames Spark com qualquer modelo Python via `spark_udf`.
# - O autolog loga parâmetros, conjuntos de dados, o modelo (a menos que
#   `log_models=False`) e as métricas dos avaliadores que vê enquanto está ligado; ele não
#   tem como saber quais dados são reservados.
# - Um modelo Spark é guardado como arquivos da sua execução (`runs:/<run id>/model`), não
#   como modelo logado.
# - A mesma lição roda em um cluster: `lab spark up` e depois `spark_master="spark://…"`.
#
# ## Leitura complementar (em inglês)
#
# As páginas abaixo só existem em inglês.
#
# - [Documentação do MLflow](https://mlflow.org/docs/latest/)
# - [Rastreamento (Tracking)](https://mlflow.org/docs/latest/ml/tracking/)
# - [Modelos (Models)](https://mlflow.org/docs/latest/ml/model/)
# - [Registro de modelos (Model Registry)](https://mlflow.org/docs/latest/ml/model-registry/)
# - [`mlflow.spark`](https://mlflow.org/docs/latest/python_api/mlflow.spark.html) — logar e
#   carregar modelos, e `pip_requirements`
# - [`mlflow.pyspark.ml.autolog`](https://mlflow.org/docs/latest/python_api/mlflow.pyspark.ml.html)
#   — o que ele loga e como as métricas pós-treinamento são nomeadas
# - [Log automático (autologging)](https://mlflow.org/docs/latest/ml/tracking/autolog)
#
# ## Verifique o que aprendeu
#
# 1. Por que o `log_model` do exemplo da página foi mais lento que o da seção do pipeline, e
#    o que `pip_requirements` muda?
# 2. O que o erro `No FileSystem for scheme "mlflow-artifacts"` significa para o modelo que
#    foi logado?
# 3. Você tem um modelo scikit-learn no registro de modelos e um bilhão de linhas em um
#    DataFrame Spark. Qual função do MLflow permite ao Spark gerar as previsões, e onde o
#    modelo roda?
# 4. O autolog logou `rmse_test_raw`. O que ele sabe sobre `test_raw`, e o que ele não
#    sabe?

# %% [markdown] tags=["solution"]
# 1. Sem `pip_requirements`, o MLflow carrega o modelo salvo em um novo processo Python para
#    ver o que ele importa, e, para um modelo Spark, isso inicia uma segunda JVM. Com
#    `pip_requirements`, a lista é aceita como informada e essa etapa é pulada.
# 2. Nada de ruim: o Spark não conseguiu gravar direto na URI `mlflow-artifacts:`, então o
#    MLflow salvou o modelo localmente e o enviou pelo servidor de rastreamento. O modelo
#    está na execução.
# 3. `mlflow.pyfunc.spark_udf`: cada worker do Spark carrega o modelo uma vez e gera as
#    previsões da sua parte das linhas, em paralelo.
# 4. Só que um avaliador foi chamado sobre previsões feitas a partir de um DataFrame guardado
#    em uma variável chamada `test_raw` (logado como dados `eval`). Ele não sabe que
#    aquelas são casas reservadas, nem em qual métrica você se baseia para decidir.
#
# Próxima: **04 · O registro de modelos**.
